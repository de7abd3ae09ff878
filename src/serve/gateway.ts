import type { Logger } from 'pino';
import { LiveConfig } from '../config/live-config.js';
import type { RadgateConfig } from '../config/types.js';
import { systemClock, type Clock } from '../credentials/clock.js';
import { loadKeyring } from '../keys/load-keyring.js';
import { LoginAlerts } from '../login/login-alerts.js';
import { LoginLog } from '../login/login-log.js';
import { LoginRoundTrip } from '../login/login-round-trip.js';
import { RadiusPolicy } from '../login/radius-policy.js';
import { UserCopies } from '../login/user-copies.js';
import { UserCopySync } from '../login/user-copy-sync.js';
import { RadgateError } from '../errors.js';
import type { Store } from '../store/store.js';
import { RadsecServer } from '../transport/radsec-server.js';
import { RadiusServer } from '../transport/server.js';
import { openStore } from './open-store.js';

/** How often users created since start are copied (login/user-copy-sync.ts). */
const FOLLOW_INTERVAL_MS = 2000;

export interface Gateway {
  /** The configuration in force; a reload replaces it (serve/reload.ts). */
  readonly config: LiveConfig<RadgateConfig>;
  readonly server: RadiusServer<RadgateConfig>;
  /** The RADIUS/TLS listener, when the config has a radsec section. */
  readonly radsec: RadsecServer<RadgateConfig> | undefined;
  readonly store: Store;
  readonly copies: UserCopies;
  /** Stops reading, finishes the requests in progress, closes the store. */
  stop(): Promise<void>;
}

export interface GatewayOptions {
  /** How long to wait for Redis at start. */
  readonly connectTimeoutMs: number;
  readonly clock?: Clock;
  /**
   * Without redis.url: start the embedded redis-server (taking over one a dead radgate left
   * behind), never join one found running (`serve` in one process), rather than join the
   * one a primary started (a worker). Default false.
   */
  readonly ownEmbeddedRedis?: boolean;
}

/**
 * Everything one gateway process runs, wired in one place: the store, the login (copies of
 * the user records, password resolution, decide.lua), the RADIUS policy and the UDP server.
 */
export async function startGateway(config: RadgateConfig, logger: Logger, options: GatewayOptions): Promise<Gateway> {
  const { dictionary } = config;
  logger.info({ attributes: dictionary.attributeCount, vendors: dictionary.vendorCount, directory: config.dictionaryDir }, 'dictionaries loaded');
  const keyring = loadKeyring(config.keys, logger);
  const opened = await openStore(config, logger, { connectTimeoutMs: options.connectTimeoutMs, ownEmbeddedRedis: options.ownEmbeddedRedis ?? false });
  const { store } = opened;
  // Before the first login: an unknown user's is only as slow as a wrong PIN once they exist.
  await store.standInKeeper.keep();
  const copies = new UserCopies({ maxUsers: config.userCache.maxUsers, keyring });
  const live = new LiveConfig(config);
  const log = new LoginLog(logger);
  const handler = new RadiusPolicy({
    loginFor: (current) =>
      new LoginRoundTrip({
        decider: store.decider,
        keyring,
        copies,
        policy: current.policy,
        challenge: current.challenge,
        timeZone: current.timeZone,
        // The reply cache is made once, at start: its lifetime is not reloaded.
        outcomeTtlMs: config.replyCache.ttlSeconds * 1000,
        clock: options.clock ?? systemClock,
      }),
    connection: store.connection,
    log,
    alerts: new LoginAlerts(log, (entry) => store.repository.appendAudit(entry), logger),
  });
  const server = new RadiusServer({ config: live, handler, logger, ...(options.clock === undefined ? {} : { now: options.clock }) });
  // The same policy behind both transports (SPEC "Transports").
  const radsec = config.radsec === undefined ? undefined : new RadsecServer({ config: live, handler, logger });
  try {
    await server.start();
    await radsec?.start();
  } catch (error) {
    await server.stop();
    await opened.close();
    throw listenFailure(error);
  }
  // In the background: until a record is copied, its user's logins read it first.
  const sync = new UserCopySync({ copies, repository: store.repository, isStoreHealthy: () => store.isHealthy(), logger, followIntervalMs: FOLLOW_INTERVAL_MS });
  void sync.loadAll();
  sync.follow();
  return {
    config: live,
    server,
    radsec,
    store,
    copies,
    stop: async () => {
      sync.stop();
      await Promise.all([server.stop(), radsec?.stop()]);
      await opened.close();
    },
  };
}

const BIND_PROBLEMS: Readonly<Record<string, string>> = {
  EADDRINUSE: 'the port is in use (another radgate or RADIUS server runs there)',
  EACCES: 'permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)',
  EADDRNOTAVAIL: 'no such address on this host',
};

/** A listener the OS refused, as the admin reads it: which address, why, what to check. */
function listenFailure(error: unknown): unknown {
  const { code, address, port } = error as NodeJS.ErrnoException & { address?: string; port?: number };
  const problem = code === undefined ? undefined : BIND_PROBLEMS[code];
  if (problem === undefined) return error;
  return new RadgateError('RADGATE_SERVE_LISTEN_FAILED', `cannot listen on ${address ?? '?'}:${port ?? '?'}: ${problem} (${code}); check the listen setting`);
}
