import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { Actor } from '../admin/admin-audit.js';
import type { CredentialService } from '../admin/credential-service.js';
import type { PolicyConfig } from '../config/types.js';
import { pinProblem } from '../credentials/pin-policy.js';
import { loginAlert, type LoginAlertEvent } from '../observability/events.js';
import { canonicalUserName, userNameProblem } from '../credentials/user-name.js';
import { SmsDeliveryError } from '../sms/sms-error.js';
import type { SmsSender } from '../sms/sms-sender.js';
import { issueCodeBySms } from './code-by-sms.js';
import { SmsProviderHealth } from './provider-health.js';
import type { CodeRequestAnswer, PinResetResult, SelfService, SelfServiceRequest, TokenRegistrationResult } from './self-service.js';
import { selfServiceSettingsProblem, type SelfServiceSettings } from './self-service-settings.js';

const HOUR_MS = 3_600_000;

export interface SelfServiceParts {
  /** The helpdesk's service: every rule (PIN policy, lifetimes, RSA's token rule, lockout) is its. */
  readonly service: CredentialService;
  /** Counts a name's code requests in Redis (CredentialRepository.countCodeRequest). */
  countRequest(user: string, windowMs: number): Promise<number>;
  readonly sender: SmsSender;
  /** `policy` of the config: the PIN policy and the user-name rules (strip_realm, fold_case). */
  readonly policy: PolicyConfig;
  readonly settings: SelfServiceSettings;
  readonly logger: Logger;
  /** Shared by the actions a reload rebuilds; a new one by default. */
  readonly providerHealth?: SmsProviderHealth;
}

/**
 * The actions behind the self-service pages (issue 18; README "Self-service"), over the
 * helpdesk's CredentialService and the SMS sender.
 *
 * A code request is answered `answerMs` after it arrived, whatever the name: the issue and
 * the SMS run in the background, under the provider's own timeout, and never hold the page.
 * Its answer never depends on the name nor on this request's own delivery: it is "could not
 * send" while the provider is failing — an SMS failed for a provider-wide reason in the last
 * PROVIDER_FAILING_MS (provider-health.ts), as it stood when the request arrived — and "sent" otherwise; or
 * "rate-limited", counted in Redis for any name alike. So an unknown name, a user without a
 * number, a user whose number the provider refuses and a real user hear the same.
 *
 * A PIN reset and a token registration are answered no earlier than `answerMs` after they
 * arrived either: a refusal for a real user (a script that counts a failure, an audit
 * entry) takes longer than one for a name that does not exist, and the page must not let
 * anyone time that difference.
 */
export class SelfServiceActions implements SelfService {
  private readonly providerHealth: SmsProviderHealth;
  /** Codes being issued and sent in the background. */
  private readonly deliveries = new Set<Promise<void>>();
  private readonly log: Logger;

  constructor(private readonly parts: SelfServiceParts) {
    const problem = selfServiceSettingsProblem(parts.settings);
    if (problem !== undefined) throw new RangeError(`self-service settings: ${problem}`);
    this.log = parts.logger.child({ component: 'self-service' });
    this.providerHealth = parts.providerHealth ?? new SmsProviderHealth();
  }

  /** Resolves once every code being sent in the background is sent or given up (a stop waits for them). */
  async deliveriesSettled(): Promise<void> {
    while (this.deliveries.size > 0) await Promise.all(this.deliveries);
  }

  /** `action`'s answer, given no earlier than answerMs after the call. */
  private async atAnswerTime<T>(action: Promise<T>): Promise<T> {
    const [answer] = await Promise.all([action, delay(this.parts.settings.answerMs)]);
    return answer;
  }

  private actor(request: SelfServiceRequest, reason: string): Actor {
    return { operator: 'self-service', reason, selfService: { source: request.source } };
  }

  /** The name as the gateway looks it up; undefined for one that can be no user's. */
  private canonical(typed: string): string | undefined {
    const name = canonicalUserName(typed.trim(), this.parts.policy);
    return userNameProblem(name) === undefined ? name : undefined;
  }

  async requestCode(typed: string, request: SelfServiceRequest): Promise<CodeRequestAnswer> {
    const started = performance.now();
    const { answerMs } = this.parts.settings;
    // Taken as the request arrives: its own delivery, started below, cannot change it.
    const failing = this.providerHealth.failing();
    const counted = this.countAndDeliver(this.canonical(typed), request).catch((error: unknown) => {
      this.log.error({ err: error }, 'self-service: a code request failed unexpectedly');
      return undefined;
    });
    // The count is one Redis command, the same for any name; one that comes later than the
    // answer time leaves the answer to the provider's state.
    const answer = (await Promise.race([counted, delay(answerMs).then(() => undefined)])) ?? (failing ? 'could-not-send' : 'sent');
    const left = answerMs - (performance.now() - started);
    if (left > 0) await delay(left);
    this.log.info({ source: request.source, answer }, 'self-service code request');
    return answer;
  }

  /**
   * Counts the request, then (within the limit) issues and sends the code in the
   * background, not awaited. Resolves once counted: `rate-limited` over the limit,
   * `could-not-send` when the store could not count (nothing is sent to anyone then),
   * undefined otherwise.
   */
  private async countAndDeliver(user: string | undefined, request: SelfServiceRequest): Promise<CodeRequestAnswer | undefined> {
    if (user === undefined) return undefined;
    let count: number;
    try {
      // Every name is counted, known or not: the limit itself must not tell which exist.
      count = await this.parts.countRequest(user, HOUR_MS);
    } catch (error) {
      this.log.warn({ err: error }, 'self-service: the request could not be counted (store unavailable); no code sent');
      return 'could-not-send';
    }
    if (count > this.parts.settings.requestsPerUserPerHour) return 'rate-limited';
    const delivery = this.deliver(user, request).finally(() => this.deliveries.delete(delivery));
    this.deliveries.add(delivery);
    return undefined;
  }

  private async deliver(user: string, request: SelfServiceRequest): Promise<void> {
    const { service, sender, settings } = this.parts;
    try {
      const recipient = await service.selfServiceRecipient(user);
      if (recipient === undefined) return;
      // Single use, as IBM's self-service code is; the kind's length and alphabet are the helpdesk's.
      const issue = { kind: 'online-authcode', lifetime: settings.codeLifetime, uses: 1 } as const;
      const reason = recipient.purpose === 'registration' ? 'self-service request (token registration only)' : 'self-service request';
      await issueCodeBySms({ service, sender, user, number: recipient.number, request: issue, actor: this.actor(request, reason), purpose: recipient.purpose });
    } catch (error) {
      if (error instanceof SmsDeliveryError) {
        // SmsSender logged it; a provider failing for everyone changes what every page says.
        if (error.scope === 'provider') this.providerHealth.failed();
        return;
      }
      this.log.warn({ err: error }, 'self-service: no code sent (the store failed)');
    }
  }

  async resetPin(typed: string, code: string, newPin: string, newPinAgain: string, request: SelfServiceRequest): Promise<PinResetResult> {
    return this.atAnswerTime(this.resetPinNow(typed, code, newPin, newPinAgain, request));
  }

  private async resetPinNow(typed: string, code: string, newPin: string, newPinAgain: string, request: SelfServiceRequest): Promise<PinResetResult> {
    const problem = pinProblem(newPin, this.parts.policy.pin);
    if (problem !== undefined) return { ok: false, why: 'pin-policy', message: problem };
    if (newPin !== newPinAgain) return { ok: false, why: 'pin-mismatch' };
    const user = this.canonical(typed);
    if (user === undefined) return { ok: false, why: 'refused' };
    return this.refusedOr(async () => {
      const redemption = await this.parts.service.setPinWithCode(user, newPin, code, this.actor(request, 'self-service PIN reset'));
      if (!redemption.redeemed) return this.refused(user, redemption.lockedNow, request);
      return { ok: true };
    });
  }

  async registerToken(typed: string, code: string, pin: string, request: SelfServiceRequest): Promise<TokenRegistrationResult> {
    return this.atAnswerTime(this.registerTokenNow(typed, code, pin, request));
  }

  private async registerTokenNow(typed: string, code: string, pin: string, request: SelfServiceRequest): Promise<TokenRegistrationResult> {
    const user = this.canonical(typed);
    if (user === undefined) return { ok: false, why: 'refused' };
    return this.refusedOr(async () => {
      const redemption = await this.parts.service.assignTokenWithCode(user, code, pin, this.actor(request, 'self-service token registration'));
      if (!redemption.redeemed) return this.refused(user, redemption.lockedNow, request);
      if (redemption.followUpFailed) this.log.error({ user }, 'self-service: new token assigned, but the old token\'s temporary access may not have ended; run radgate code revoke USER --all');
      return { ok: true, serial: redemption.serial, uri: redemption.uri };
    });
  }

  /**
   * A refusal; one that locked the user logs the `locked-out` alert a lockout by failed
   * logins logs, and publishes the lockout event the metrics count (events.ts loginAlert).
   */
  private refused(user: string, lockedNow: boolean, request: SelfServiceRequest): { ok: false; why: 'refused' } {
    if (lockedNow) {
      this.log.warn({ alert: 'locked-out', user, source: request.source, via: 'self-service' }, `${user} locked out after too many failures`);
      if (loginAlert.hasSubscribers) loginAlert.publish({ kind: 'lockout' } satisfies LoginAlertEvent);
    }
    return { ok: false, why: 'refused' };
  }

  /** The store failing is `unavailable` (the script changed all or nothing); never a crash. */
  private async refusedOr<T>(action: () => Promise<T>): Promise<T | { ok: false; why: 'unavailable' | 'refused' }> {
    try {
      return await action();
    } catch (error) {
      if ((error as { code?: string }).code === 'RADGATE_ADMIN_INVALID_INPUT') return { ok: false, why: 'refused' };
      this.log.error({ err: error }, 'self-service: the store is unavailable; nothing was changed');
      return { ok: false, why: 'unavailable' };
    }
  }
}
