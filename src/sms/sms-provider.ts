/**
 * How an SMS leaves radgate (issue 18): one small contract, two implementations — an HTTP
 * webhook (webhook-provider.ts) and a local program (command-provider.ts) — so the code that
 * issues codes never learns which gateway a site uses.
 */
export interface SmsProvider {
  /** The provider's kind: a metrics label and a log field, never anything the site configured. */
  readonly kind: 'webhook' | 'command';
  /**
   * Sends `text` to `number` (E.164). Resolves once the provider took it; rejects with
   * SmsDeliveryError, whose message holds neither the number nor the text.
   */
  deliver(number: string, text: string): Promise<void>;
}
