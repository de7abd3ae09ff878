import type { Logger } from 'pino';
import type { RadgateConfig } from '../config/types.js';
import { systemClock, type Clock } from '../credentials/clock.js';
import { loadKeyring } from '../keys/load-keyring.js';
import { LoginAlerts } from '../login/login-alerts.js';
import { LoginLog } from '../login/login-log.js';
import { LoginRoundTrip } from '../login/login-round-trip.js';
import { RadiusPolicy } from '../login/radius-policy.js';
import { ReplyProfiles } from '../login/reply-profiles.js';
import { UserCopies } from '../login/user-copies.js';
import { UserCopySync } from '../login/user-copy-sync.js';
import type { Store } from '../store/store.js';
import { RadiusServer } from '../transport/server.js';
import { openStore } from './open-store.js';

/** How often users created since start are copied (login/user-copy-sync.ts). */
const FOLLOW_INTERVAL_MS = 2000;

export interface Gateway {
  readonly server: RadiusServer;
  readonly store: Store;
  readonly copies: UserCopies;
  /** Stops reading, finishes the requests in progress, closes the store. */
  stop(): Promise<void>;
}

export interface GatewayOptions {
  /** How long to wait for Redis at start. */
  readonly connectTimeoutMs: number;
  readonly clock?: Clock;
}

/**
 * Everything one gateway process runs, wired in one place: the store, the login (copies of
 * the user records, password resolution, decide.lua), the RADIUS policy and the UDP server.
 */
export async function startGateway(config: RadgateConfig, logger: Logger, options: GatewayOptions): Promise<Gateway> {
  const { dictionary } = config;
  logger.info({ attributes: dictionary.attributeCount, vendors: dictionary.vendorCount, directory: config.dictionaryDir }, 'dictionaries loaded');
  const keyring = loadKeyring(config.keys, logger);
  const opened = await openStore(config, logger, { connectTimeoutMs: options.connectTimeoutMs });
  const { store } = opened;
  // Before the first login: an unknown user's is only as slow as a wrong PIN once they exist.
  await store.standInKeeper.keep();
  const copies = new UserCopies({ maxUsers: config.userCache.maxUsers });
  const login = new LoginRoundTrip({
    decider: store.decider,
    keyring,
    copies,
    policy: config.policy,
    challenge: config.challenge,
    timeZone: config.timeZone,
    outcomeTtlMs: config.replyCache.ttlSeconds * 1000,
    clock: options.clock ?? systemClock,
  });
  const log = new LoginLog(logger);
  const handler = new RadiusPolicy({
    login,
    connection: store.connection,
    profiles: new ReplyProfiles(config.replies, config.challenge),
    policy: config.policy,
    log,
    alerts: new LoginAlerts(log, (entry) => store.repository.appendAudit(entry), logger),
  });
  const server = new RadiusServer({ config, dictionary, handler, logger, ...(options.clock === undefined ? {} : { now: options.clock }) });
  try {
    await server.start();
  } catch (error) {
    await opened.close();
    throw error;
  }
  // In the background: until a record is copied, its user's logins read it first.
  const sync = new UserCopySync({ copies, repository: store.repository, isStoreHealthy: () => store.isHealthy(), logger, followIntervalMs: FOLLOW_INTERVAL_MS });
  void sync.loadAll();
  sync.follow();
  return {
    server,
    store,
    copies,
    stop: async () => {
      sync.stop();
      await server.stop();
      await opened.close();
    },
  };
}
