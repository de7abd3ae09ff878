import { RadgateError, type RadgateErrorCode } from '../errors.js';

/**
 * A request a web app refuses and explains on a page, with its HTTP status: the shared
 * error page (web/error-page.ts) shows the message as written, so it must never quote
 * input or hold a secret. Each app names its own code (console, self-service).
 */
export class PageRefusal extends RadgateError {
  override readonly name: string = 'PageRefusal';

  constructor(
    code: RadgateErrorCode,
    readonly statusCode: 400 | 401 | 403 | 404 | 429,
    message: string,
  ) {
    super(code, message);
  }
}
