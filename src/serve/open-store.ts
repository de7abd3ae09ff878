import { join } from 'node:path';
import type { Logger } from 'pino';
import type { RadgateConfig } from '../config/types.js';
import { redisAnswersOn } from '../embedded-redis/probe.js';
import { RedisProcess } from '../embedded-redis/redis-process.js';
import { connectRedis, parseRedisUrl, type RedisTarget } from '../store/redis-target.js';
import { Store } from '../store/store.js';

/** The socket of the embedded redis-server, in its data directory. */
export function embeddedRedisSocket(config: Pick<RadgateConfig, 'redis'>): string {
  return join(config.redis.embeddedDataDir, 'redis.sock');
}

export interface OpenedStore {
  readonly store: Store;
  /** The private redis-server this process started, when no redis.url is configured. */
  readonly embeddedRedis: RedisProcess | undefined;
  /** Closes the connection, then stops the embedded server if this process started it. */
  close(): Promise<void>;
}

export interface OpenStoreOptions {
  /** How long to wait for Redis at start. */
  readonly connectTimeoutMs: number;
  /**
   * `serve`: start and supervise the embedded server, never join one found running (it is
   * another radgate's, refused, or an orphan, taken over). A CLI command and a worker join
   * the running one. Default false.
   */
  readonly ownEmbeddedRedis?: boolean;
}

/**
 * The store named by the config: `redis.url`, or the embedded redis-server. A running
 * `radgate serve` owns the embedded server: a CLI command (and a worker of that serve)
 * joins it through its socket rather than start a second server on the same data
 * directory; a second `serve` is refused (data-dir-claim.ts).
 */
export async function openStore(config: RadgateConfig, logger: Logger, options: OpenStoreOptions): Promise<OpenedStore> {
  let embeddedRedis: RedisProcess | undefined;
  let target: RedisTarget;
  if (config.redis.url === undefined) {
    const socket = embeddedRedisSocket(config);
    if (options.ownEmbeddedRedis !== true && (await redisAnswersOn(socket))) {
      target = { kind: 'unix', path: socket };
    } else {
      const takeOverOrphan = options.ownEmbeddedRedis === true;
      embeddedRedis = await RedisProcess.start({ dataDir: config.redis.embeddedDataDir, unixSocket: true, supervise: true, ownProcessGroup: true, takeOverOrphan, logger });
      target = { kind: 'unix', path: embeddedRedis.socketPath! };
      logger.info({ dataDir: config.redis.embeddedDataDir }, 'no redis.url set: running a private redis-server with persistence (AOF) in the data directory');
    }
  } else {
    target = parseRedisUrl(config.redis.url);
  }
  const redis = connectRedis(target, { commandTimeoutMs: config.redis.commandTimeoutMs });
  const store = new Store(redis, logger, { keyPrefix: config.redis.keyPrefix, commandTimeoutMs: config.redis.commandTimeoutMs, waitReplicas: config.redis.waitReplicas });
  const close = async (): Promise<void> => {
    await store.close();
    await embeddedRedis?.stop();
  };
  try {
    await store.waitUntilReady(options.connectTimeoutMs);
  } catch (error) {
    await close();
    throw error;
  }
  return { store, embeddedRedis, close };
}
