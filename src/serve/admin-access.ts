import type { Logger } from 'pino';
import { AdminAudit } from '../admin/admin-audit.js';
import { AuditReader } from '../admin/audit-reader.js';
import { CredentialService } from '../admin/credential-service.js';
import { OperatorService } from '../admin/operators.js';
import type { RadgateConfig } from '../config/types.js';
import { systemClock, type Clock } from '../credentials/clock.js';
import type { Keyring } from '../keys/keyring.js';
import { loadKeyring } from '../keys/load-keyring.js';
import type { Store } from '../store/store.js';
import { openStore } from './open-store.js';

/** What the helpdesk's tools work with: the credential service over the store, and the keys. */
export interface AdminAccess {
  /** The credential service under the configuration the access was opened with. */
  readonly service: CredentialService;
  /**
   * The credential service under another configuration (a reload's: its PIN policy,
   * lockout, user-name rules, code settings), over the same store, keys, audit and clock.
   */
  serviceFor(config: RadgateConfig): CredentialService;
  /** The audit stream and the users' login attempts, read (`radgate audit`, `user show`). */
  readonly audit: AuditReader;
  /** The helpdesk console's operators (`radgate operator`, the console's sign-in). */
  readonly operators: OperatorService;
  readonly keyring: Keyring;
  readonly store: Store;
  close(): Promise<void>;
}

export interface AdminAccessOptions {
  /** How long to wait for Redis. */
  readonly connectTimeoutMs: number;
  readonly clock?: Clock;
}

/** Keys, the store and the credential service, for the CLI (and the tests and benchmarks that act as a helpdesk). */
export async function openAdmin(config: RadgateConfig, logger: Logger, options: AdminAccessOptions): Promise<AdminAccess> {
  const keyring = loadKeyring(config.keys, logger);
  const opened = await openStore(config, logger, { connectTimeoutMs: options.connectTimeoutMs });
  const { repository } = opened.store;
  const audit = new AdminAudit(logger, (fields) => repository.appendAudit(fields));
  const clock = options.clock ?? systemClock;
  const serviceFor = (current: RadgateConfig): CredentialService =>
    new CredentialService({
      repository,
      keyring,
      policy: current.policy,
      codes: current.codes,
      timeZone: current.timeZone,
      challenge: current.challenge,
      tokenIssuer: current.tokenIssuer,
      audit,
      clock,
    });
  const operators = new OperatorService({ repository: opened.store.operators, keyring, audit, clock, tokenIssuer: config.tokenIssuer });
  return { service: serviceFor(config), serviceFor, audit: new AuditReader(repository), operators, keyring, store: opened.store, close: opened.close };
}
