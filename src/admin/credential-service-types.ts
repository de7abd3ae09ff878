import type { ChallengeConfig, CodesConfig, PolicyConfig } from '../config/types.js';
import type { Clock } from '../credentials/clock.js';
import type { CodeKind, TokenAlgorithm, TokenType } from '../credentials/records.js';
import type { Keyring } from '../keys/keyring.js';
import type { CredentialRepository } from '../store/credential-repository.js';
import type { AdminAudit } from './admin-audit.js';
import type { CodeView, TemporaryAccessView } from './views.js';

/** What CredentialService's methods take and give, apart from it: the service itself is long enough. */

export interface TokenAssignment {
  readonly type?: TokenType;
  readonly digits?: 6 | 8;
  readonly period?: number;
  readonly algorithm?: TokenAlgorithm;
  /** Base32; generated (20 random bytes, RFC 4226 §4's recommended 160 bits) when absent. */
  readonly secret?: string;
  readonly expiresAt?: Date;
  /** A user who has a token keeps it unless the helpdesk says to replace it. */
  readonly replace?: boolean;
}

export interface CredentialServiceOptions {
  readonly repository: CredentialRepository;
  readonly keyring: Keyring;
  readonly policy: PolicyConfig;
  readonly codes: CodesConfig;
  /** The helpdesk's zone (config `time_zone`): day and month lifetimes are counted in it. */
  readonly timeZone: string;
  /** The challenge flow: which validities `authcode respond` may grant. */
  readonly challenge: ChallengeConfig;
  /** Issuer shown by authenticator apps for enrolled tokens. */
  readonly tokenIssuer: string;
  readonly audit: AdminAudit;
  readonly clock: Clock;
}

/** Which codes `code revoke` ends: one by id (an issued code or a temporary bypass), the last issued (of one kind), or all. */
export type RevokeRequest = { readonly id: string } | { readonly last: CodeKind | undefined } | 'all';

/** What a revocation ended. */
export interface Revoked {
  readonly codes: CodeView[];
  /** Temporary bypasses ended: named by id, or made by a revoked authorization code. */
  readonly temporaryAccess: TemporaryAccessView[];
  /** Pending request codes cancelled (`all`). */
  readonly requestCodes: string[];
}

/** What a code typed on a self-service page did (issue 18). */
export type CodeRedemption<Done = unknown> =
  | ({ readonly redeemed: true; readonly codeId: string } & Done)
  /** Unknown user, disabled, locked, wrong or used code, wrong PIN; `lockedNow` when this failure locked the user. */
  | { readonly redeemed: false; readonly lockedNow: boolean };
