import { join } from 'node:path';
import type { Logger } from 'pino';
import { AuditLog } from './auth/audit.js';
import { Authenticator } from './auth/authenticator.js';
import { systemClock, type Clock } from './auth/clock.js';
import { CredentialService } from './auth/credential-service.js';
import { AuthenticationHandler } from './auth/radius-handler.js';
import { ReplyProfiles } from './auth/reply-profiles.js';
import { UserSnapshots } from './auth/user-snapshots.js';
import type { RadgateConfig } from './config/types.js';
import type { Keyring } from './keys/keyring.js';
import { loadKeyring } from './keys/load-keyring.js';
import type { Dictionary } from './protocol/dictionary/dictionary.js';
import { loadDictionary } from './protocol/dictionary/load.js';
import { CredentialStore } from './store/credential-store.js';
import { connectRedis, parseRedisUrl, type RedisTarget } from './store/redis-client.js';
import { RedisProcess, redisAnswersOn } from './store/redis-process.js';
import { RadiusServer } from './transport/server.js';

/**
 * The composition root: config in, running parts out. `radgate serve`, the CLI, the
 * benchmark and end-to-end tests all assemble radgate through here, so they run the same
 * thing.
 */
export interface Credentials {
  readonly store: CredentialStore;
  readonly keyring: Keyring;
  readonly service: CredentialService;
  readonly audit: AuditLog;
  /** The private redis-server, when no redis.url is configured. */
  readonly embeddedRedis: RedisProcess | undefined;
  close(): Promise<void>;
}

export interface OpenOptions {
  readonly clock?: Clock;
  /** Wait this long for Redis at start (default 5 s). */
  readonly connectTimeoutMs?: number;
}

/** Keys, Redis (configured, or a private embedded server) and the credential service. */
export async function openCredentials(config: RadgateConfig, logger: Logger, options: OpenOptions = {}): Promise<Credentials> {
  const keyring = loadKeyring(config.keys, logger);
  let embeddedRedis: RedisProcess | undefined;
  let target: RedisTarget;
  if (config.redis.url === undefined) {
    // A running `radgate serve` owns the embedded server: CLI commands join it through its
    // socket rather than start a second server on the same data directory.
    const socket = join(config.redis.embeddedDataDir, 'redis.sock');
    if (await redisAnswersOn(socket)) {
      target = { kind: 'unix', path: socket };
    } else {
      embeddedRedis = await RedisProcess.start({ dataDir: config.redis.embeddedDataDir, tcp: false, unixSocket: true, supervise: true, ownProcessGroup: true, logger });
      target = { kind: 'unix', path: embeddedRedis.socketPath! };
      logger.info({ dataDir: config.redis.embeddedDataDir }, 'no redis.url set: running a private redis-server with persistence (AOF) in the data directory');
    }
  } else {
    target = parseRedisUrl(config.redis.url);
  }
  const redis = connectRedis(target, { commandTimeoutMs: config.redis.commandTimeoutMs });
  const store = new CredentialStore(redis, logger, {
    keyPrefix: config.redis.keyPrefix,
    commandTimeoutMs: config.redis.commandTimeoutMs,
    waitReplicas: config.redis.waitReplicas,
  });
  const clock = options.clock ?? systemClock;
  const audit = new AuditLog(logger, (fields) => store.appendAudit(fields));
  const service = new CredentialService(store, keyring, { policy: config.policy, codes: config.codes, tokenIssuer: config.tokenIssuer }, audit, clock);
  const close = async (): Promise<void> => {
    await store.close();
    await embeddedRedis?.stop();
  };
  try {
    await store.waitUntilReady(options.connectTimeoutMs ?? 5000);
  } catch (error) {
    await close();
    throw error;
  }
  return { store, keyring, service, audit, embeddedRedis, close };
}

export interface Gateway {
  readonly server: RadiusServer;
  readonly dictionary: Dictionary;
  readonly credentials: Credentials;
  stop(): Promise<void>;
}

/** Everything `radgate serve` runs: credentials, the policy handler and the UDP server. */
export async function startGateway(config: RadgateConfig, logger: Logger, options: OpenOptions = {}): Promise<Gateway> {
  const dictionary = loadDictionary(config.dictionaryDir);
  logger.info({ attributes: dictionary.attributeCount, vendors: dictionary.vendorCount, directory: config.dictionaryDir }, 'dictionaries loaded');
  const profiles = new ReplyProfiles(config.replies, dictionary, config.challenge);
  const credentials = await openCredentials(config, logger, options);
  // Before the first login: an unknown user's is only as slow as a wrong PIN once they exist.
  await credentials.store.keepStandIns();
  const snapshots = new UserSnapshots(config.userCache.maxUsers);
  const authenticator = new Authenticator(
    credentials.store,
    credentials.keyring,
    config.policy,
    config.challenge,
    config.replyCache.ttlSeconds * 1000,
    options.clock ?? systemClock,
    snapshots,
  );
  const handler = new AuthenticationHandler(authenticator, credentials.store, profiles, config.policy, credentials.audit);
  const server = new RadiusServer({ config, dictionary, handler, logger });
  try {
    await server.start();
  } catch (error) {
    await credentials.close();
    throw error;
  }
  // In the background: until a record is copied, its user's logins read it first.
  void snapshots.loadAll(credentials.store, logger);
  const stopFollowing = snapshots.follow(credentials.store, logger);
  return {
    server,
    dictionary,
    credentials,
    stop: async () => {
      stopFollowing();
      await server.stop();
      await credentials.close();
    },
  };
}
