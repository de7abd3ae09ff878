import { RadgateError } from '../errors.js';

/**
 * An SMS that was not delivered. The message says what went wrong in terms that are safe
 * to log and show an admin: a status code, an errno, a timeout, an exit code. Never the
 * number, the message text (it carries the code) or a credential.
 */
export class SmsDeliveryError extends RadgateError {
  override readonly name = 'SmsDeliveryError';

  constructor(
    readonly provider: 'webhook' | 'command',
    /** What went wrong, without the preamble: "the gateway answered HTTP 503". */
    readonly reason: string,
  ) {
    super('RADGATE_SMS_DELIVERY_FAILED', `the SMS was not sent: ${reason}`);
  }
}
