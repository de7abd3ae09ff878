import { RadgateError, type RadgateErrorCode } from '../errors.js';

/** The embedded redis-server could not be started (docs/ERRORS.md, "Redis"). */
export class RedisProcessError extends RadgateError {
  override readonly name = 'RedisProcessError';
  /** The server's last log lines (empty when it never ran). */
  readonly output: readonly string[];

  constructor(code: Extract<RadgateErrorCode, 'RADGATE_REDIS_NOT_FOUND' | 'RADGATE_REDIS_START_FAILED' | 'RADGATE_REDIS_DATA_DIR_IN_USE'>, message: string, output: readonly string[] = []) {
    super(code, output.length === 0 ? message : `${message}\nlast redis-server output:\n  ${output.join('\n  ')}`);
    this.output = output;
  }
}
