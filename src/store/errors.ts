import { RadgateError } from '../errors.js';

/** Redis cannot be reached or answers too late: the caller must never Accept. */
export class StoreUnavailableError extends RadgateError {
  override readonly name = 'StoreUnavailableError';
  constructor(message: string) {
    super('RADGATE_STORE_UNAVAILABLE', message);
  }
}

/** `redis.url` (or RADGATE_REDIS_URL) is not a URL radgate can connect to. Never repeats a password. */
export class RedisUrlError extends RadgateError {
  override readonly name = 'RedisUrlError';
  constructor(message: string) {
    super('RADGATE_REDIS_URL_INVALID', message);
  }
}
