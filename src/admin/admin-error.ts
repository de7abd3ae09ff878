import { RadgateError, type RadgateErrorCode } from '../errors.js';

export type AdminErrorCode = Extract<RadgateErrorCode, `RADGATE_ADMIN_${string}`>;

/** A refused admin action; the message says what to do. Nothing was written. */
export class AdminError extends RadgateError {
  override readonly name = 'AdminError';
  declare readonly code: AdminErrorCode;

  constructor(code: AdminErrorCode, message: string) {
    super(code, message);
  }
}

export function unknownUser(user: string): AdminError {
  return new AdminError('RADGATE_ADMIN_UNKNOWN_USER', `no user named ${JSON.stringify(user)} (see radgate user list)`);
}
