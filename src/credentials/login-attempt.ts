import type { LoginMethod, RefusalReason } from './login-outcome.js';

/**
 * Where an Access-Request came from, as the helpdesk asks about it ("who tried to log in as
 * alice, from where?"): the client (our name for the NAS), and what the NAS said about
 * itself and the caller. The NAS writes these attributes; they are never a secret.
 */
export interface NasContext {
  /** The client's name in the config. */
  readonly client: string;
  /** NAS-IP-Address or NAS-IPv6-Address (RFC 2865 §5.4, RFC 3162 §2.1). */
  readonly nasAddress: string | undefined;
  /** NAS-Identifier (RFC 2865 §5.32). */
  readonly nasIdentifier: string | undefined;
  /** Calling-Station-Id (RFC 2865 §5.31): the caller's address, a MAC or a phone number. */
  readonly callingStationId: string | undefined;
  /** NAS-Port (RFC 2865 §5.5). */
  readonly nasPort: number | undefined;
}

/**
 * One login attempt as kept for the helpdesk (SPEC "Observability": the last login
 * attempts of each user): when, from where, and what was decided. Only ids and outcomes:
 * never the password, a PIN, a code or a request code.
 */
export interface RecordedAttempt extends NasContext {
  /** When it was decided (ms since the epoch). */
  readonly at: number;
  readonly result: 'accept' | 'reject' | 'challenge';
  /** How the user got in; 'offline-authcode' for a challenge sent; undefined for a reject. */
  readonly method: LoginMethod | undefined;
  readonly reason: RefusalReason | undefined;
  /** True when this reject locked the user. */
  readonly lockedNow: boolean;
  /** The code (or temporary access) used, by id. */
  readonly codeId: string | undefined;
}

/** How many attempts of each user are kept: the newest. */
export const ATTEMPTS_KEPT = 20;

/**
 * How long a user's attempts are kept after the last one: a helpdesk ticket about a login
 * is rarely older than this, and a user who stopped logging in does not keep a list forever.
 */
export const ATTEMPTS_RETENTION_MS = 90 * 86_400_000;
