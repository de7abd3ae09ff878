import { performance } from 'node:perf_hooks';
import type { PolicyConfig } from '../config/types.js';
import { AttributeType } from '../protocol/codes.js';
import { findAttribute } from '../protocol/packet.js';
import type { AccessRequest, Decision, RequestHandler } from '../transport/handler.js';
import { StoreUnavailableError, type CredentialStore } from '../store/credential-store.js';
import type { AuditLog } from './audit.js';
import { RecordChangedError, type Authenticator } from './authenticator.js';
import type { ReplyProfiles } from './reply-profiles.js';
import { canonicalUserName } from './user-name.js';

/** NAS-Identifier, else NAS-IP-Address, for the audit line. */
function nasOf(request: AccessRequest): string | undefined {
  const identifier = findAttribute(request.packet, AttributeType.NasIdentifier);
  if (identifier !== undefined) return identifier.toString('utf8');
  const address = findAttribute(request.packet, AttributeType.NasIpAddress);
  return address?.length === 4 ? Array.from(address).join('.') : undefined;
}

/**
 * The policy behind the RADIUS server: turns an authenticated Access-Request into Accept
 * (with the method's reply profile), Challenge (the PIN alone, with a request code), Reject
 * (after the reject delay) or silence when the store cannot answer or the record changed
 * under the login. One audit line per outcome, when the log level includes info.
 */
export class AuthenticationHandler implements RequestHandler {
  constructor(
    private readonly authenticator: Authenticator,
    private readonly store: CredentialStore,
    private readonly profiles: ReplyProfiles,
    private readonly policy: PolicyConfig,
    private readonly audit: AuditLog,
  ) {}

  isHealthy(): boolean {
    return this.store.isHealthy();
  }

  // Each login's decide.lua call is written while the batch is handed over: held and sent
  // together, a batch of 20 logins costs one write to Redis instead of 20.
  beginBatch(): void {
    this.store.holdWrites();
  }

  endBatch(): void {
    this.store.releaseWrites();
  }

  private reject(): Decision {
    return { action: 'reject', attributes: this.profiles.reject, delayMs: this.policy.rejectDelayMs };
  }

  async handleAccessRequest(request: AccessRequest): Promise<Decision> {
    const started = performance.now();
    const audit = (result: 'accept' | 'reject' | 'challenge' | 'dropped', fields: { user?: string; method?: string; reason?: string; codeId?: string; replayed?: boolean }) =>
      this.audit.decisionsLogged &&
      this.audit.decision({
        client: request.client.name,
        nas: nasOf(request),
        source: request.source.address,
        user: fields.user,
        method: fields.method,
        result,
        reason: fields.reason,
        codeId: fields.codeId,
        latencyMs: performance.now() - started,
        replayed: fields.replayed ?? false,
      });

    const password = request.password();
    if (request.userName === undefined || request.userName === '' || password === undefined) {
      // CHAP, MS-CHAP and EAP cannot carry a tokencode we can check: reject cleanly.
      const reason = request.userName === undefined || request.userName === '' ? 'no-user-name' : 'no-pap-password';
      audit('reject', { user: request.userName, reason });
      return this.reject();
    }
    const user = canonicalUserName(request.userName, this.policy);
    const fingerprint = `${request.client.name}:${request.packet.identifier}:${request.packet.authenticator.toString('hex')}`;
    try {
      const { outcome, replayed, lostTokenUsed } = await this.authenticator.authenticate({
        user,
        password: password.toString('utf8'),
        fingerprint,
        client: request.client.name,
        state: findAttribute(request.packet, AttributeType.State),
      });
      if (lostTokenUsed) this.audit.lostTokenAlert(user, request.client.name, request.source.address);
      if (outcome.result === 'accept') {
        audit('accept', { user, method: outcome.method, codeId: outcome.codeId, replayed });
        return { action: 'accept', attributes: this.profiles.forMethod(outcome.method) };
      }
      if (outcome.result === 'challenge') {
        audit('challenge', { user, method: 'offline-authcode', replayed });
        return { action: 'challenge', attributes: this.profiles.challenge(outcome.requestCode, outcome.state) };
      }
      audit('reject', { user, reason: outcome.lockedNow ? `${outcome.reason}; now locked` : outcome.reason, replayed });
      return this.reject();
    } catch (error) {
      if (error instanceof RecordChangedError) {
        // Redis is fine; the record moved under this login. Silence: the retransmission retries.
        audit('dropped', { user, reason: 'record-changed' });
        return { action: 'drop', reason: 'record-changed' };
      }
      if (!(error instanceof StoreUnavailableError)) throw error;
      // Never Accept without the store. By default say nothing, so the NAS fails over.
      audit('dropped', { user, reason: 'store-unavailable' });
      return this.policy.onStoreFailure === 'reject' ? this.reject() : { action: 'drop', reason: 'store-unavailable' };
    }
  }
}
