/**
 * `redis.url` (or RADGATE_REDIS_URL): which deployment, and where. Parsed when the config
 * is loaded, so every command that reads the config (`config check`, `doctor`, `serve`)
 * refuses the same URLs; the store connects to the target parsed here.
 */
import { RadgateError } from '../errors.js';

/** `redis.url` (or RADGATE_REDIS_URL) is not a URL radgate can connect to. Never repeats a password. */
export class RedisUrlError extends RadgateError {
  override readonly name = 'RedisUrlError';
  constructor(message: string) {
    super('RADGATE_REDIS_URL_INVALID', message);
  }
}

/** A parsed `redis.url`: what kind of deployment, and where. */
export type RedisTarget =
  | { readonly kind: 'standalone'; readonly url: string }
  | { readonly kind: 'unix'; readonly path: string }
  | { readonly kind: 'sentinel'; readonly sentinels: { host: string; port: number }[]; readonly masterName: string; readonly password?: string; readonly db: number }
  | { readonly kind: 'cluster'; readonly nodes: { host: string; port: number }[]; readonly password?: string };

function hostPorts(list: string, defaultPort: number): { host: string; port: number }[] {
  return list.split(',').map((entry) => {
    const match = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d{1,5}))?$/.exec(entry.trim());
    const port = match?.[3] === undefined ? defaultPort : Number(match[3]);
    if (match === null || port < 1 || port > 65535) throw new RedisUrlError(`"${entry}" is not host:port (port 1 to 65535)`);
    return { host: match[1] ?? match[2]!, port };
  });
}

function decodePassword(password: string | undefined): string | undefined {
  if (password === undefined || password === '') return undefined;
  try {
    return decodeURIComponent(password);
  } catch {
    throw new RedisUrlError('the password in the URL has a % that does not start an escape such as %40; write % itself as %25');
  }
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
    throw new RedisUrlError('must start with redis://, rediss://, unix://, redis+sentinel:// or redis+cluster://');
  }
  const [, kind, password, hosts, masterName, db] = match;
  const decodedPassword = decodePassword(password);
  if (kind === 'sentinel') {
    if (masterName === undefined || masterName === '') throw new RedisUrlError('a redis+sentinel:// URL must name the master: redis+sentinel://host:26379/mymaster');
    return { kind: 'sentinel', sentinels: hostPorts(hosts!, 26379), masterName, db: db === undefined ? 0 : Number(db), ...(decodedPassword === undefined ? {} : { password: decodedPassword }) };
  }
  return { kind: 'cluster', nodes: hostPorts(hosts!, 6379), ...(decodedPassword === undefined ? {} : { password: decodedPassword }) };
}
