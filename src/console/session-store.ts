import { createHash } from 'node:crypto';
import type { SessionStore } from '@fastify/session';
import type { Session } from 'fastify';
import type { OperatorRepository } from '../store/operator-repository.js';

/** What a console session holds: who, since when, and the sign-in in progress. Never a password or a code. */
declare module 'fastify' {
  interface Session {
    /** The signed-in operator, once both factors (or the trusted proxy) said who it is. */
    operator?: string;
    /** OperatorService.credentialStamp at sign-in: a password or TOTP reset since ends the session. */
    credentials?: string;
    /** ms: when they signed in (console.session.max_seconds counts from it). */
    signedInAt?: number;
    /** ms: their last request (console.session.idle_seconds counts from it). */
    lastSeenAt?: number;
    /** A sign-in past its password and waiting for the TOTP code (or its enrolment), and since when. */
    pending?: { readonly operator: string; readonly at: number };
    /** One-time tokens of the forms that show a secret (issue, assign, respond): a resubmission shows nothing twice. */
    forms?: string[];
    /** The outcome of the last action, shown once on the next page. */
    flash?: { readonly notice?: string; readonly problem?: string };
  }
}

/**
 * Console sessions in Redis (@fastify/session's store interface), so that signing out ends
 * a session for every tab and device at once, the idle timeout is the record's TTL, and a
 * restarted console keeps its operators signed in. Stored under the SHA-256 of the id: a
 * copy of Redis holds no id a browser could present.
 */
export class RedisSessionStore implements SessionStore {
  constructor(
    private readonly repository: OperatorRepository,
    private readonly idleSeconds: number,
    /** The longest a session lives (console.session.max_seconds): a signed-out id is refused that long. */
    private readonly maxSeconds: number,
  ) {}

  private static keyOf(sessionId: string): string {
    return createHash('sha256').update(sessionId).digest('base64url');
  }

  set(sessionId: string, session: Session, callback: (error?: unknown) => void): void {
    this.repository.saveSession(RedisSessionStore.keyOf(sessionId), JSON.stringify(session), this.idleSeconds).then(() => callback(), callback);
  }

  get(sessionId: string, callback: (error: unknown, session?: Session | null) => void): void {
    this.repository.getSession(RedisSessionStore.keyOf(sessionId)).then(
      (text) => callback(null, text === undefined ? null : (JSON.parse(text) as Session)),
      (error: unknown) => callback(error),
    );
  }

  destroy(sessionId: string, callback: (error?: unknown) => void): void {
    this.repository.deleteSession(RedisSessionStore.keyOf(sessionId), this.maxSeconds).then(() => callback(), callback);
  }
}
