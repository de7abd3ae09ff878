import type { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';
import { StoreConnection } from './connection.js';
import { CredentialRepository } from './credential-repository.js';
import { DecideScript } from './decide/decide-script.js';
import { KeyNames } from './key-names.js';
import { OperatorRepository } from './operator-repository.js';
import { Revisions } from './revisions.js';
import { StandInKeeper } from './stand-in-keeper.js';
import { StandInRecords } from './stand-in-records.js';

export interface StoreOptions {
  /** Prefix of every key (redis.key_prefix). */
  readonly keyPrefix: string;
  /** The client's command timeout (redis.command_timeout_ms): decide.lua refuses to run later. */
  readonly commandTimeoutMs: number;
  /** Replicas that must acknowledge a decision before it is answered (redis.wait_replicas). */
  readonly waitReplicas: number;
  /** How often health is probed (default 250 ms). */
  readonly probeIntervalMs?: number;
}

/**
 * radgate's only state, in Redis, on one connection: the repository of users, tokens and
 * codes (what the admin service writes), decide.lua (the login's one round trip), and the
 * stand-in records unknown users' logins read. Every check-and-consume is one Lua script.
 */
export class Store {
  readonly connection: StoreConnection;
  readonly keys: KeyNames;
  readonly repository: CredentialRepository;
  /** The helpdesk console's operators and sessions. */
  readonly operators: OperatorRepository;
  readonly decider: DecideScript;
  readonly standIns: StandInRecords;
  /** Keeps the stand-ins written; the gateway calls `keep()`, CLI commands never do. */
  readonly standInKeeper: StandInKeeper;

  constructor(redis: Redis | Cluster, logger: Logger, options: StoreOptions) {
    this.connection = new StoreConnection(redis, logger, {
      commandTimeoutMs: options.commandTimeoutMs,
      waitReplicas: options.waitReplicas,
      probeIntervalMs: options.probeIntervalMs ?? 250,
    });
    this.keys = new KeyNames(options.keyPrefix);
    const revisions = new Revisions();
    this.repository = new CredentialRepository({ connection: this.connection, keys: this.keys, revisions });
    this.operators = new OperatorRepository(this.connection, this.keys);
    this.standIns = new StandInRecords(this.keys, this.connection.isCluster);
    this.standInKeeper = new StandInKeeper({ connection: this.connection, standIns: this.standIns, countUsers: () => this.repository.countUsersForCopies(), logger });
    this.decider = new DecideScript({ connection: this.connection, keys: this.keys, standIns: this.standIns, revisions });
  }

  /** The client, for what no module here wraps (doctor's INFO, tests' fault checks). */
  get redis(): Redis | Cluster {
    return this.connection.redis;
  }

  isHealthy(): boolean {
    return this.connection.isHealthy();
  }

  waitUntilReady(timeoutMs: number): Promise<void> {
    return this.connection.waitUntilReady(timeoutMs);
  }

  close(): Promise<void> {
    return this.connection.close();
  }
}
