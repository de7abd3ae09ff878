/**
 * Every error radgate raises on purpose carries a stable code (fastify's habit): logs carry
 * it, scripts and tests match on it, the CLI chooses its exit code by it, and
 * docs/ERRORS.md documents each one (a test fails when one is missing). The codec's codes
 * live in protocol/errors.ts, which imports nothing outside the codec; they follow the same
 * style. A code is never reused for a different problem.
 */
export const ERROR_CODES = [
  // Configuration (config/).
  'RADGATE_CONFIG_UNREADABLE',
  'RADGATE_CONFIG_SYNTAX',
  'RADGATE_CONFIG_INVALID',
  'RADGATE_CONFIG_SECRET',
  'RADGATE_CONFIG_ADDRESS_INVALID',
  'RADGATE_CONFIG_LISTEN_INVALID',
  // The master key file (keys/).
  'RADGATE_KEY_FILE_UNREADABLE',
  'RADGATE_KEY_FILE_WRONG_LENGTH',
  'RADGATE_KEY_FILE_EXISTS',
  'RADGATE_KEY_FILE_UNWRITABLE',
  'RADGATE_KEY_FILE_MODE',
  // Certificates for RADIUS over TLS (certs/).
  'RADGATE_CERTS_EXISTS',
  'RADGATE_CERTS_UNWRITABLE',
  'RADGATE_CERTS_UNREADABLE',
  'RADGATE_CERTS_INVALID',
  // Redis (store/, embedded-redis/).
  'RADGATE_REDIS_URL_INVALID',
  'RADGATE_REDIS_NOT_FOUND',
  'RADGATE_REDIS_START_FAILED',
  'RADGATE_REDIS_DATA_DIR_IN_USE',
  'RADGATE_STORE_UNAVAILABLE',
  // A login (login/).
  'RADGATE_LOGIN_RECORD_CHANGED',
  // Lifetimes of codes (credentials/).
  'RADGATE_LIFETIME_INVALID',
  // Admin actions (admin/).
  'RADGATE_ADMIN_INVALID_INPUT',
  'RADGATE_ADMIN_UNKNOWN_USER',
  'RADGATE_ADMIN_USER_EXISTS',
  'RADGATE_ADMIN_NO_TOKEN',
  'RADGATE_ADMIN_TOKEN_EXPIRED',
  'RADGATE_ADMIN_TOKEN_EXISTS',
  'RADGATE_ADMIN_TOKEN_NOT_LOST',
  'RADGATE_ADMIN_CODE_NOT_FOUND',
  'RADGATE_ADMIN_CHALLENGE_NOT_ALLOWED',
  'RADGATE_ADMIN_REQUEST_NOT_PENDING',
  'RADGATE_ADMIN_UNKNOWN_OPERATOR',
  'RADGATE_ADMIN_OPERATOR_EXISTS',
  'RADGATE_ADMIN_NO_MOBILE',
  // SMS delivery (sms/).
  'RADGATE_SMS_DELIVERY_FAILED',
  // The service (serve/).
  'RADGATE_SERVE_WORKER_FAILED',
  'RADGATE_SERVE_OPS_LISTEN_FAILED',
  'RADGATE_SERVE_CONSOLE_LISTEN_FAILED',
  'RADGATE_SERVE_SELF_SERVICE_LISTEN_FAILED',
  'RADGATE_SERVE_LISTEN_FAILED',
  'RADGATE_SERVE_NOT_RUNNING',
  // The helpdesk console (console/).
  'RADGATE_CONSOLE_REFUSED',
  // The self-service pages (self-service/web/).
  'RADGATE_SELF_SERVICE_REFUSED',
  // The command line (cli/).
  'RADGATE_CLI_USAGE',
  'RADGATE_CLI_NO_CONFIG',
  'RADGATE_CLI_REFUSED',
  'RADGATE_CLI_NO_REPLY',
  'RADGATE_CLI_OUTPUT_CLOSED',
] as const;

export type RadgateErrorCode = (typeof ERROR_CODES)[number];

/** The base of every radgate error outside the codec: a message written for the admin, and a code. */
export class RadgateError extends Error {
  override readonly name: string = 'RadgateError';

  constructor(
    readonly code: RadgateErrorCode,
    message: string,
  ) {
    super(message);
  }
}
