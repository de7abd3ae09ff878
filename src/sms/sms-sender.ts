import type { Logger } from 'pino';
import { groupCode } from '../credentials/codes/alphabet.js';
import { maskMobile } from '../credentials/mobile-number.js';
import { formatInZone } from '../credentials/time-zone.js';
import { smsDelivery, type SmsDeliveryEvent } from '../observability/events.js';
import { SmsDeliveryError } from './sms-error.js';
import type { SmsProvider } from './sms-provider.js';
import { smsText } from './sms-templates.js';

/** An authorization code to send: the code (shown once, here), and until when it is valid. */
export interface CodeMessage {
  readonly code: string;
  readonly expiresAt: Date;
}

/**
 * Sends authorization codes by SMS through the configured provider: the message from the
 * `sms.message` template, every delivery counted (events.ts → sms-metrics.ts), a failure
 * logged with the masked number at most. The message text carries the code: it is never
 * logged, and neither is the number in full.
 */
export class SmsSender {
  constructor(
    private readonly provider: SmsProvider,
    private readonly options: { readonly template: string; readonly timeZone: string; readonly logger: Logger },
  ) {}

  get providerKind(): SmsProvider['kind'] {
    return this.provider.kind;
  }

  /** Resolves once the provider took the message; rejects with SmsDeliveryError. */
  async sendCode(number: string, message: CodeMessage): Promise<void> {
    const text = smsText(this.options.template, { code: groupCode(message.code), expires: formatInZone(message.expiresAt.getTime(), this.options.timeZone) });
    try {
      await this.provider.deliver(number, text);
    } catch (error) {
      this.published('failed');
      // Anything else a provider throws is a bug; its message is not ours to vouch for.
      const failure = error instanceof SmsDeliveryError ? error : new SmsDeliveryError(this.provider.kind, 'the provider failed unexpectedly');
      this.options.logger.warn({ provider: this.provider.kind, to: maskMobile(number), code: failure.code, why: failure.message }, 'SMS not sent');
      throw failure;
    }
    this.published('sent');
    this.options.logger.info({ provider: this.provider.kind, to: maskMobile(number) }, 'SMS sent');
  }

  private published(result: SmsDeliveryEvent['result']): void {
    if (smsDelivery.hasSubscribers) smsDelivery.publish({ provider: this.provider.kind, result } satisfies SmsDeliveryEvent);
  }
}
