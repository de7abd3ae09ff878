import { RadgateError } from '../errors.js';

/** Redis cannot be reached or answers too late: the caller must never Accept. */
export class StoreUnavailableError extends RadgateError {
  override readonly name = 'StoreUnavailableError';
  constructor(message: string) {
    super('RADGATE_STORE_UNAVAILABLE', message);
  }
}
