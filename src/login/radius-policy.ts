import { performance } from 'node:perf_hooks';
import type { PolicyConfig, RadgateConfig } from '../config/types.js';
import { canonicalUserName } from '../credentials/user-name.js';
import { AttributeType } from '../protocol/codes.js';
import { findAttribute } from '../protocol/packet.js';
import type { ReplyAttribute } from '../protocol/reply-attribute.js';
import type { StoreConnection } from '../store/connection.js';
import { loginAlert, type LoginAlertEvent } from '../observability/events.js';
import { StoreUnavailableError } from '../store/errors.js';
import type { AccessRequest, Answer, RequestHandler } from '../transport/request-handler.js';
import type { LoginAlerts } from './login-alerts.js';
import type { LoginLog, LoginLogEntry } from './login-log.js';
import { RecordChangedError, type LoginRoundTrip } from './login-round-trip.js';
import { nasContextOf } from './nas-context.js';
import { ReplyProfiles } from './reply-profiles.js';

export interface RadiusPolicyOptions {
  /** The login under one configuration (its policy, challenge, time zone, outcome lifetime). */
  readonly loginFor: (config: RadgateConfig) => LoginRoundTrip;
  readonly connection: StoreConnection;
  readonly log: LoginLog;
  readonly alerts: LoginAlerts;
}

/** What one configuration decides with, made once per configuration. */
interface Generation {
  readonly config: RadgateConfig;
  readonly login: LoginRoundTrip;
  readonly profiles: ReplyProfiles;
  readonly policy: PolicyConfig;
}

type LogFields = Partial<Pick<LoginLogEntry, 'user' | 'method' | 'reason' | 'codeId' | 'replayed'>>;

/**
 * The policy behind the RADIUS server (the one implementation of transport's
 * RequestHandler): turns an authenticated Access-Request into Accept (with the method's
 * reply profile), Challenge (the PIN alone, with a request code), Reject (after the reject
 * delay) or silence when the store cannot answer or the record changed under the login.
 * One decision line per outcome, when the log level includes info.
 */
export class RadiusPolicy implements RequestHandler<RadgateConfig> {
  private generation: Generation | undefined;

  constructor(private readonly options: RadiusPolicyOptions) {}

  /**
   * The login, reply profiles and policy of a configuration: the one the request arrived
   * under (AccessRequest.config), rebuilt when a reload brought a new one.
   */
  private under(config: RadgateConfig): Generation {
    if (this.generation?.config !== config) {
      this.generation = { config, login: this.options.loginFor(config), profiles: new ReplyProfiles(config.replies, config.challenge), policy: config.policy };
    }
    return this.generation;
  }

  possibleReplies(config: RadgateConfig): readonly (readonly ReplyAttribute[])[] {
    return this.under(config).profiles.possibleReplies();
  }

  isHealthy(): boolean {
    return this.options.connection.isHealthy();
  }

  // Each login's decide.lua call is written while the batch is handed over: held and sent
  // together, a batch of 20 logins costs one write to Redis instead of 20.
  beginBatch(): void {
    this.options.connection.holdWrites();
  }

  endBatch(): void {
    this.options.connection.releaseWrites();
  }

  private reject({ profiles, policy }: Generation, reason: string): Answer {
    return { action: 'reject', attributes: profiles.reject, delayMs: policy.rejectDelayMs, reason };
  }

  async handleAccessRequest(request: AccessRequest<RadgateConfig>): Promise<Answer> {
    const { log, alerts } = this.options;
    // Taken once: an in-flight login finishes under the configuration it arrived under.
    const generation = this.under(request.config);
    const { login, profiles, policy } = generation;
    const started = performance.now();
    const from = nasContextOf(request.packet, request.client.name);
    const record = (result: LoginLogEntry['result'], fields: LogFields): void => {
      if (!log.enabled) return;
      log.decision({
        from,
        source: request.source.address,
        user: fields.user,
        method: fields.method,
        result,
        reason: fields.reason,
        codeId: fields.codeId,
        latencyMs: performance.now() - started,
        replayed: fields.replayed ?? false,
      });
    };

    const password = request.password();
    if (request.userName === undefined || request.userName === '' || password === undefined) {
      // CHAP, MS-CHAP and EAP cannot carry a tokencode we can check: reject cleanly.
      const reason = request.userName === undefined || request.userName === '' ? 'no-user-name' : 'no-pap-password';
      record('reject', { user: request.userName, reason });
      return this.reject(generation, reason);
    }
    const user = canonicalUserName(request.userName, policy);
    const fingerprint = `${request.client.name}:${request.packet.identifier}:${request.packet.authenticator.toString('hex')}`;
    try {
      const { outcome, replayed, lostTokenUsed } = await login.run({
        user,
        password: password.toString('utf8'),
        fingerprint,
        client: request.client.name,
        state: findAttribute(request.packet, AttributeType.State),
        nas: from,
      });
      if (lostTokenUsed) {
        alerts.lostTokenUsed(user, from, request.source.address);
        if (loginAlert.hasSubscribers) loginAlert.publish({ kind: 'lost-token' } satisfies LoginAlertEvent);
      }
      if (outcome.result === 'accept') {
        record('accept', { user, method: outcome.method, codeId: outcome.codeId, replayed });
        return { action: 'accept', attributes: profiles.forMethod(outcome.method), method: outcome.method };
      }
      if (outcome.result === 'challenge') {
        record('challenge', { user, method: 'offline-authcode', replayed });
        return { action: 'challenge', attributes: profiles.challenge(outcome.requestCode, outcome.state), method: 'offline-authcode' };
      }
      record('reject', { user, reason: outcome.lockedNow ? `${outcome.reason}; now locked` : outcome.reason, replayed });
      // A replayed decision locked nobody now: its first answer was counted.
      if (outcome.lockedNow && !replayed) {
        alerts.lockedOut(user, from, request.source.address, outcome.reason);
        if (loginAlert.hasSubscribers) loginAlert.publish({ kind: 'lockout' } satisfies LoginAlertEvent);
      }
      return this.reject(generation, outcome.reason);
    } catch (error) {
      if (error instanceof RecordChangedError) {
        // Redis is fine; the record moved under this login. Silence: the retransmission retries.
        record('dropped', { user, reason: 'record-changed' });
        return { action: 'drop', reason: 'record-changed' };
      }
      if (!(error instanceof StoreUnavailableError)) throw error;
      // Never Accept without the store. By default say nothing, so the NAS fails over.
      record('dropped', { user, reason: 'store-unavailable' });
      return policy.onStoreFailure === 'reject' ? this.reject(generation, 'store-unavailable') : { action: 'drop', reason: 'store-unavailable' };
    }
  }
}
