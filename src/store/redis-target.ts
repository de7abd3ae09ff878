import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { RedisTarget } from '../config/redis-url.js';

// The URL is parsed where the config is validated, so `config check` refuses what `serve` would.
export { parseRedisUrl, type RedisTarget } from '../config/redis-url.js';

export interface RedisConnectionOptions {
  /** Per-command timeout: below the NAS's timeout, so a slow store means no reply, not a late one. */
  readonly commandTimeoutMs: number;
}

/**
 * One connection setting for every deployment kind, chosen for an authentication server:
 * - no offline queue: while Redis is unreachable a command fails at once instead of
 *   waiting, so the gateway stays silent and the NAS fails over;
 * - no resending of unanswered commands after a reconnect: a consume that may already have
 *   run must never run twice;
 * - reconnect forever with a short capped backoff, so the gateway recovers by itself.
 */
export function connectRedis(target: RedisTarget, options: RedisConnectionOptions): Redis | Cluster {
  const common: RedisOptions = {
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    commandTimeout: options.commandTimeoutMs,
    connectTimeout: Math.max(1000, options.commandTimeoutMs * 2),
    retryStrategy: (attempt) => Math.min(50 * attempt, 1000),
    lazyConnect: false,
    // Off: the server already hands a batch of requests over at once and holds their writes
    // (StoreConnection.holdWrites), and auto-pipelining on top cost gateway CPU and
    // throughput for a small saving in Redis (bench/README.md, "Design measurements").
    enableAutoPipelining: false,
  };
  switch (target.kind) {
    case 'standalone':
      return new Redis(target.url, common);
    case 'unix':
      return new Redis({ ...common, path: target.path });
    case 'sentinel':
      return new Redis({
        ...common,
        sentinels: target.sentinels,
        name: target.masterName,
        db: target.db,
        ...(target.password === undefined ? {} : { password: target.password, sentinelPassword: target.password }),
        sentinelRetryStrategy: (attempt) => Math.min(100 * attempt, 1000),
      });
    case 'cluster':
      return new Cluster(target.nodes, {
        enableOfflineQueue: false,
        enableAutoPipelining: false,
        scaleReads: 'master',
        clusterRetryStrategy: (attempt) => Math.min(100 * attempt, 1000),
        redisOptions: { ...common, ...(target.password === undefined ? {} : { password: target.password }) },
      });
  }
}
