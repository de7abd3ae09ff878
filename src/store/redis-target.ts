import { Cluster, Redis, type ClusterNode, type RedisOptions } from 'ioredis';
import { RedisUrlError } from './errors.js';

/** A parsed `redis.url`: what kind of deployment, and where. */
export type RedisTarget =
  | { readonly kind: 'standalone'; readonly url: string }
  | { readonly kind: 'unix'; readonly path: string }
  | { readonly kind: 'sentinel'; readonly sentinels: { host: string; port: number }[]; readonly masterName: string; readonly password?: string; readonly db: number }
  | { readonly kind: 'cluster'; readonly nodes: ClusterNode[]; readonly password?: string };

function hostPorts(list: string, defaultPort: number): { host: string; port: number }[] {
  return list.split(',').map((entry) => {
    const match = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d+))?$/.exec(entry.trim());
    if (match === null) throw new RedisUrlError(`"${entry}" is not host:port`);
    return { host: match[1] ?? match[2]!, port: match[3] === undefined ? defaultPort : Number(match[3]) };
  });
}

/**
 * Accepts `redis://`/`rediss://` URLs, `unix:///path/redis.sock`,
 * `redis+sentinel://[:password@]host:26379,host:26379/mastername[/db]` and
 * `redis+cluster://[:password@]host:7000,host:7001`. Errors never repeat a password.
 */
export function parseRedisUrl(text: string): RedisTarget {
  if (text.startsWith('redis://') || text.startsWith('rediss://')) return { kind: 'standalone', url: text };
  if (text.startsWith('unix://')) return { kind: 'unix', path: text.slice('unix://'.length) };
  const match = /^redis\+(sentinel|cluster):\/\/(?:(?:[^:@/]*):([^@/]*)@)?([^/]+)(?:\/([^/]*))?(?:\/(\d+))?$/.exec(text);
  if (match === null) {
    throw new RedisUrlError('redis.url must start with redis://, rediss://, unix://, redis+sentinel:// or redis+cluster://');
  }
  const [, kind, password, hosts, masterName, db] = match;
  const decodedPassword = password === undefined || password === '' ? undefined : decodeURIComponent(password);
  if (kind === 'sentinel') {
    if (masterName === undefined || masterName === '') throw new RedisUrlError('a redis+sentinel:// URL must name the master: redis+sentinel://host:26379/mymaster');
    return { kind: 'sentinel', sentinels: hostPorts(hosts!, 26379), masterName, db: db === undefined ? 0 : Number(db), ...(decodedPassword === undefined ? {} : { password: decodedPassword }) };
  }
  return { kind: 'cluster', nodes: hostPorts(hosts!, 6379), ...(decodedPassword === undefined ? {} : { password: decodedPassword }) };
}

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
