import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { Actor } from '../admin/admin-audit.js';
import type { CredentialService } from '../admin/credential-service.js';
import type { PolicyConfig } from '../config/types.js';
import { pinProblem } from '../credentials/pin-policy.js';
import { canonicalUserName, userNameProblem } from '../credentials/user-name.js';
import { SmsDeliveryError } from '../sms/sms-error.js';
import type { SmsSender } from '../sms/sms-sender.js';
import { issueCodeBySms } from './code-by-sms.js';
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
}

/** What a delivery in the background came to; `nothing`: no code for that name (or a store failure, logged). */
type Delivery = 'sent' | 'failed' | 'nothing';

/**
 * The actions behind the self-service pages (issue 18; README "Self-service"), over the
 * helpdesk's CredentialService and the SMS sender.
 *
 * A code request is answered `answerMs` after it arrived, whatever the name: the issue and
 * the SMS run in the background, under the provider's own timeout, and never hold the page.
 * Its answer reflects the SMS provider's health, the same for everyone: the result of this
 * request's own delivery when it finished in time, otherwise the most recent delivery's
 * (`sent` before any). So while the provider is down every name, real or not, hears "could
 * not send", and a name with no number hears what a real one would.
 */
export class SelfServiceActions implements SelfService {
  private lastDelivery: Delivery = 'sent';
  private readonly log: Logger;

  constructor(private readonly parts: SelfServiceParts) {
    const problem = selfServiceSettingsProblem(parts.settings);
    if (problem !== undefined) throw new RangeError(`self-service settings: ${problem}`);
    this.log = parts.logger.child({ component: 'self-service' });
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
    let early: CodeRequestAnswer | undefined;
    void this.answerFor(this.canonical(typed), request).then(
      (answer) => (early = answer),
      (error: unknown) => this.log.error({ err: error }, 'self-service: a code request failed unexpectedly'),
    );
    await delay(this.parts.settings.answerMs);
    const answer = early ?? (this.lastDelivery === 'failed' ? 'could-not-send' : 'sent');
    this.log.info({ source: request.source, answer }, 'self-service code request');
    return answer;
  }

  /** The answer when it is known by the answer time; undefined leaves it to the provider's health. */
  private async answerFor(user: string | undefined, request: SelfServiceRequest): Promise<CodeRequestAnswer | undefined> {
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
    const delivery = await this.deliver(user, request);
    return delivery === 'nothing' ? undefined : delivery === 'sent' ? 'sent' : 'could-not-send';
  }

  private async deliver(user: string, request: SelfServiceRequest): Promise<Delivery> {
    const { service, sender, settings } = this.parts;
    try {
      const recipient = await service.selfServiceRecipient(user);
      if (recipient === undefined) return 'nothing';
      // Single use, as IBM's self-service code is; the kind's length and alphabet are the helpdesk's.
      const issue = { kind: 'online-authcode', lifetime: settings.codeLifetime, uses: 1 } as const;
      const reason = recipient.purpose === 'registration' ? 'self-service request (token registration only)' : 'self-service request';
      await issueCodeBySms({ service, sender, user, number: recipient.number, request: issue, actor: this.actor(request, reason), purpose: recipient.purpose });
      this.lastDelivery = 'sent';
      return 'sent';
    } catch (error) {
      if (error instanceof SmsDeliveryError) {
        this.lastDelivery = 'failed';
        return 'failed';
      }
      // The store, not the provider: say nothing that only a real user's request could cause.
      this.log.warn({ err: error }, 'self-service: no code issued (store unavailable)');
      return 'nothing';
    }
  }

  async resetPin(typed: string, code: string, newPin: string, newPinAgain: string, request: SelfServiceRequest): Promise<PinResetResult> {
    const problem = pinProblem(newPin, this.parts.policy.pin);
    if (problem !== undefined) return { ok: false, why: 'pin-policy', message: problem };
    if (newPin !== newPinAgain) return { ok: false, why: 'pin-mismatch' };
    const user = this.canonical(typed);
    if (user === undefined) return { ok: false, why: 'refused' };
    return this.refusedOr(async () => {
      const redemption = await this.parts.service.setPinWithCode(user, newPin, code, this.actor(request, 'self-service PIN reset'));
      return redemption.redeemed ? { ok: true } : { ok: false, why: 'refused' };
    });
  }

  async registerToken(typed: string, code: string, pin: string, request: SelfServiceRequest): Promise<TokenRegistrationResult> {
    const user = this.canonical(typed);
    if (user === undefined) return { ok: false, why: 'refused' };
    return this.refusedOr(async () => {
      const redemption = await this.parts.service.assignTokenWithCode(user, code, pin, this.actor(request, 'self-service token registration'));
      if (!redemption.redeemed) return { ok: false, why: 'refused' };
      if (redemption.followUpFailed) this.log.error({ user }, 'self-service: new token assigned, but the old token\'s temporary access may not have ended; run radgate code revoke USER --all');
      return { ok: true, serial: redemption.serial, uri: redemption.uri };
    });
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
