/**
 * The baseline: FreeRADIUS 3.2 answering PAP from its `files` module, run from a private
 * copy of the system configuration (each edit says why):
 *
 * - radiusd.conf, sites-enabled/inner-tunnel: the private copy of harness/freeradius.ts
 *   (`reject_delay = 0`, as radgate's reject_delay_ms, so the reject path is measured);
 * - clients.conf: one client, 127.0.0.1, the bench's secret, Message-Authenticator required
 *   (the same BlastRADIUS check radgate makes);
 * - mods-config/files/authorize: the bench's users with Cleartext-Password;
 * - sites-enabled/default: only the two IPv4 listen sections, on 127.0.0.1 and free ports.
 *
 * With `redis` (the same-job peer of issue 15: FreeRADIUS asking Redis once per request):
 *
 * - mods-enabled/redis: Debian's rlm_redis configuration (package freeradius-redis) with
 *   `server` and `port` pointing at the bench's own redis-server;
 * - sites-enabled/default: in `authorize`, just before `pap`, one `%{redis:HGET …}` that sets
 *   control:Cleartext-Password from the user's hash — one Redis round trip per request;
 * - mods-config/files/authorize: empty, so the password can only come from Redis.
 *
 * Everything else stays as Debian ships it: the default virtual server, its module list
 * and the thread pool. It runs threaded (`-f`), never `-X` (single-threaded debug mode).
 */
import { readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { answersStatusServer, type Target } from './load-generator.js';
import { checkFreeradiusConfig, freeradiusAvailable, privateFreeradiusConfig, SYSTEM_FREERADIUS_CONFIG } from '../harness/freeradius.js';
import { freeUdpPort } from '../harness/ports.js';
import { startServerProcess, type ServerProcess } from '../harness/processes.js';
import { startTestRedis, withConnection, type TestRedis } from '../harness/redis.js';
import { BENCH_REDIS } from './stack.js';

const SYSTEM_CONFIG = SYSTEM_FREERADIUS_CONFIG;
/** Where Debian's freeradius-redis puts the module; the bench does not install packages. */
const RLM_REDIS = process.env.BENCH_RLM_REDIS ?? '/usr/lib/freeradius/rlm_redis.so';

/** The Redis hash holding a user's password for the rlm_redis baseline. */
export const redisUserKey = (name: string): string => `bench:user:${name}`;

/**
 * What authorize runs before `pap` in the rlm_redis baseline: one HGET, its answer the
 * known-good password. (The bench's user names hold no spaces or quotes: no escaping needed.)
 */
export const REDIS_AUTHORIZE = `\tupdate control {\n\t\t&Cleartext-Password := "%{redis:HGET ${redisUserKey('%{User-Name}')} password}"\n\t}\n`;

export { freeradiusAvailable };

/**
 * Keeps the IPv4 listen sections (on 127.0.0.1, with our ports) and drops the IPv6 ones.
 * A section is `listen {` at the start of a line up to its closing brace; `port = 0` is
 * matched at the start of a line because the comments above it hold the same words.
 */
export function rewriteListenSections(text: string, ports: { auth: number; acct: number }): string {
  const lines = text.split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; ) {
    if (!lines[i]!.startsWith('listen {')) {
      out.push(lines[i++]!);
      continue;
    }
    const block: string[] = [];
    let depth = 0;
    do {
      const line = lines[i++]!;
      block.push(line);
      const code = line.replace(/#.*$/, '');
      depth += (code.match(/\{/g) ?? []).length - (code.match(/\}/g) ?? []).length;
    } while (depth > 0 && i < lines.length);
    let section = block.join('\n');
    if (/^\s*ipv6addr\s*=/m.test(section)) continue;
    const type = /^\s*type\s*=\s*(\w+)/m.exec(section)?.[1];
    const port = type === 'auth' ? ports.auth : type === 'acct' ? ports.acct : undefined;
    if (port === undefined) continue;
    section = section.replace(/^(\s*)ipaddr\s*=\s*\S+/m, '$1ipaddr = 127.0.0.1').replace(/^(\s*)port\s*=\s*\d+/m, `$1port = ${port}`);
    out.push(section);
  }
  return out.join('\n');
}

/** rlm_redis is installed (Debian: `apt-get install freeradius-redis`) and its configuration is there to copy. */
export function rlmRedisAvailable(): boolean {
  try {
    readFileSync(RLM_REDIS);
    readFileSync(join(SYSTEM_CONFIG, 'mods-available', 'redis'));
    return true;
  } catch {
    return false;
  }
}

/** Inserts `lines` before the `pap` of the `authorize` section (and nowhere else: `authenticate` has its own `pap`). */
export function insertBeforeAuthorizePap(text: string, lines: string): string {
  const section = /^authorize \{$/m.exec(text);
  if (section === null) throw new Error('sites-enabled/default has no authorize section');
  const pap = /^\tpap[ \t]*$/m.exec(text.slice(section.index));
  if (pap === null) throw new Error('the authorize section of sites-enabled/default has no pap line');
  const at = section.index + pap.index;
  return `${text.slice(0, at)}${lines}${text.slice(at)}`;
}

/** Debian's rlm_redis configuration, pointed at the bench's redis-server. */
export function rewriteRedisModule(text: string, port: number): string {
  const rewritten = text.replace(/^(\s*)server\s*=.*$/m, '$1server = 127.0.0.1').replace(/^(\s*)port\s*=.*$/m, `$1port = ${port}`);
  if (!rewritten.includes(`port = ${port}`)) throw new Error('mods-available/redis has no port setting to point at the bench Redis');
  return rewritten;
}

export interface FreeradiusInstance {
  readonly target: Target;
  readonly process: ServerProcess;
  readonly directory: string;
  stop(): Promise<void>;
}

export interface FreeradiusOptions {
  readonly secret: Buffer;
  /** `files` users (Cleartext-Password); with `redis`, none: the passwords are in Redis. */
  readonly users: readonly { name: string; password: string }[];
  /** Look passwords up in this Redis (rlm_redis, one HGET per request) instead of `files`. */
  readonly redis?: { readonly port: number };
}

export async function startFreeradius(options: FreeradiusOptions): Promise<FreeradiusInstance> {
  const { directory, cleanUp } = privateFreeradiusConfig('radgate-bench-freeradius');
  try {
    writeFileSync(
      join(directory, 'clients.conf'),
      `client bench-nas {\n\tipaddr = 127.0.0.1\n\tsecret = ${options.secret.toString()}\n\trequire_message_authenticator = yes\n}\n`,
    );

    const authorize = join(directory, 'mods-config', 'files', 'authorize');
    rmSync(authorize, { force: true });
    const filesUsers = options.redis === undefined ? options.users : [];
    writeFileSync(authorize, filesUsers.map((user) => `${user.name} Cleartext-Password := ${JSON.stringify(user.password)}\n`).join(''));
    if (options.redis !== undefined) {
      const module = readFileSync(join(directory, 'mods-available', 'redis'), 'utf8');
      writeFileSync(join(directory, 'mods-enabled', 'redis'), rewriteRedisModule(module, options.redis.port));
    }

    const site = join(directory, 'sites-enabled', 'default');
    const ports = { auth: await freeUdpPort(), acct: await freeUdpPort() };
    const listening = rewriteListenSections(readFileSync(site, 'utf8'), ports);
    const rewritten = options.redis === undefined ? listening : insertBeforeAuthorizePap(listening, REDIS_AUTHORIZE);
    unlinkSync(site); // A symlink into sites-available: replace it with our own file.
    writeFileSync(site, rewritten);

    checkFreeradiusConfig(directory);

    const server = startServerProcess('freeradius', ['-f', '-d', directory, '-l', join(directory, 'log', 'radius.log')]);
    // FreeRADIUS 3.2.1 answers without Message-Authenticator; the Response Authenticator
    // is still verified on every reply, and the MA whenever present.
    const target: Target = { host: '127.0.0.1', port: ports.auth, secret: options.secret, requireReplyMessageAuthenticator: false };
    const deadline = Date.now() + 20_000;
    while (!(await answersStatusServer(target, 250))) {
      if (server.child.exitCode !== null || Date.now() > deadline) {
        await server.stop('SIGTERM', 1000);
        const log = readFileSync(join(directory, 'log', 'radius.log'), 'utf8').split('\n').slice(-15).join('\n  ');
        throw new Error(`FreeRADIUS did not start; its log ends:\n  ${log}`);
      }
    }
    return {
      target,
      process: server,
      directory,
      stop: async () => {
        await server.stop();
        cleanUp();
      },
    };
  } catch (error) {
    cleanUp();
    throw error;
  }
}

export interface FreeradiusWithRedis {
  readonly freeradius: FreeradiusInstance;
  /** Its own redis-server, with the persistence settings of radgate's bench Redis. */
  readonly redis: TestRedis;
  stop(): Promise<void>;
}

/** A redis-server of its own holding the users' passwords, and FreeRADIUS asking it once per request. */
export async function startFreeradiusWithRedis(options: Omit<FreeradiusOptions, 'redis'>): Promise<FreeradiusWithRedis> {
  const redis = await startTestRedis(BENCH_REDIS);
  try {
    await withConnection(redis, async (client) => {
      for (const user of options.users) await client.hset(redisUserKey(user.name), 'password', user.password);
    });
    const freeradius = await startFreeradius({ ...options, redis: { port: redis.port } });
    return {
      freeradius,
      redis,
      stop: async () => {
        await freeradius.stop();
        await redis.stop();
      },
    };
  } catch (error) {
    await redis.stop();
    throw error;
  }
}
