/**
 * After an SMS failed because the provider is failing (SmsDeliveryError scope `provider`),
 * code requests are answered "could not send" for this long, whoever they name.
 */
export const PROVIDER_FAILING_MS = 60_000;

/**
 * Whether the SMS provider is failing for everyone, as the self-service pages tell users
 * (self-service-actions.ts). One per process, shared by the actions a reload rebuilds, so a
 * reload does not forget an outage.
 */
export class SmsProviderHealth {
  /** When an SMS last failed for a provider-wide reason (ms); 0: never. */
  private failedAt = 0;

  /** `clock`: wall-clock ms (tests move it). */
  constructor(private readonly clock: () => number = Date.now) {}

  failing(): boolean {
    return this.failedAt !== 0 && this.clock() - this.failedAt < PROVIDER_FAILING_MS;
  }

  failed(): void {
    this.failedAt = this.clock();
  }
}
