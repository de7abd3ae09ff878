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
    /**
     * `provider`: the provider is failing (unreachable, a timeout, 5xx, its credentials
     * refused, the program failed), whoever the message was for; `message`: it refused
     * this message alone (HTTP 400 or 422: a number it cannot send to, say). The
     * self-service pages tell users "could not send" only while the provider is failing, so
     * one number's refusal tells nothing about whose number it was.
     */
    readonly scope: 'provider' | 'message' = 'provider',
  ) {
    super('RADGATE_SMS_DELIVERY_FAILED', `the SMS was not sent: ${reason}`);
  }
}
