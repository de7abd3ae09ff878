import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { RedisProcessError } from '../src/embedded-redis/errors.js';
import { RedisProcess, type RedisProcessOptions } from '../src/embedded-redis/redis-process.js';
import { freeTcpPort } from './ports.js';
import { tempDir } from './temp.js';

export type TestRedisOptions = Omit<RedisProcessOptions, 'dataDir' | 'port' | 'unixSocket'> & {
  /** A port of its own (Cluster nodes need a chosen one); default a free one. */
  readonly port?: number;
};

/** Enough to get past a port taken between the pick and redis's bind; more means a real problem. */
const FREE_PORT_ATTEMPTS = 5;

/**
 * A real redis-server on a private 127.0.0.1 port and a fresh data directory, so tests
 * running in parallel never share state, with the controls fault tests need (freeze,
 * kill, restart): they live here, not in the production RedisProcess. DEBUG is enabled
 * (local connections only) for `DEBUG DIGEST`.
 */
export class TestRedis {
  private constructor(
    private server: RedisProcess,
    private readonly options: RedisProcessOptions,
    private frozen = false,
  ) {}

  static async start(options: TestRedisOptions = {}): Promise<TestRedis> {
    const dataDir = tempDir('redis');
    for (let attempt = 1; ; attempt++) {
      const port = options.port ?? (await freeTcpPort());
      const settings: RedisProcessOptions = { ...options, dataDir, port, extraArgs: ['--enable-debug-command', 'local', ...(options.extraArgs ?? [])] };
      try {
        return new TestRedis(await RedisProcess.start(settings), settings);
      } catch (error) {
        const taken = error instanceof RedisProcessError && error.output.some((line) => line.includes('Address already in use'));
        if (!taken || options.port !== undefined || attempt === FREE_PORT_ATTEMPTS) throw error;
      }
    }
  }

  get port(): number {
    return this.server.port!;
  }

  /** 'redis://127.0.0.1:PORT' */
  get url(): string {
    return this.server.url;
  }

  get dataDir(): string {
    return this.server.dataDir;
  }

  /** The running server's pid; undefined while it is down. */
  pid(): number | undefined {
    return this.server.pid();
  }

  /** A fault: SIGSTOP, as a stalled disk or a long fork would freeze it. */
  freeze(): void {
    this.signal('SIGSTOP');
    this.frozen = true;
  }

  thaw(): void {
    this.signal('SIGCONT');
    this.frozen = false;
  }

  /** A fault: a signal as a crash or an operator would send it (a supervised server is restarted). */
  kill(signal: NodeJS.Signals): void {
    this.signal(signal);
  }

  private signal(signal: NodeJS.Signals): void {
    const pid = this.server.pid();
    if (pid !== undefined) process.kill(pid, signal);
  }

  /** Stops the server and starts it again on the same port and data directory: clients reconnect to the same URL and find the persisted data. */
  async restart(): Promise<void> {
    await this.stop();
    this.server = await RedisProcess.start(this.options);
  }

  async stop(): Promise<void> {
    // A frozen server only acts on SIGTERM once it runs again.
    if (this.frozen) this.thaw();
    await this.server.stop();
  }
}

export async function startTestRedis(options: TestRedisOptions = {}): Promise<TestRedis> {
  return TestRedis.start(options);
}

/** How a helper reaches Redis: a started server, its URL, or a client (a duplicate is used). */
export type RedisReach = TestRedis | string | Redis;

/** Runs `use` on a connection of its own, so SELECT and the like leave the caller's alone. */
export async function withConnection<T>(target: RedisReach, use: (client: Redis) => Promise<T>): Promise<T> {
  const client =
    target instanceof Redis ? target.duplicate() : new Redis(typeof target === 'string' ? target : target.url);
  // ioredis reconnects by itself and a failed command rejects; without a listener it would
  // also print every refused connection while a server restarts.
  client.on('error', () => {});
  try {
    return await use(client);
  } finally {
    client.disconnect();
  }
}

/** `DEBUG DIGEST`: one hash of the whole dataset (all zeros when empty), to compare before and after. */
export function digest(target: RedisReach): Promise<string> {
  return withConnection(target, async (client) => String(await client.call('DEBUG', 'DIGEST')));
}

/**
 * Everything stored but the per-request decisions (rg:req:…, which expire by themselves),
 * audit stream included, as one comparable text: "nothing was written" is two equal calls.
 */
export async function storedState(target: RedisReach): Promise<string> {
  const dump = await dumpAll(target);
  return [...dump.entries()].filter(([key]) => !key.startsWith('rg:req:')).sort(([a], [b]) => a.localeCompare(b)).map(([key, value]) => `${key}\n${value}`).join('\n');
}

/**
 * Every key in every database with its whole value as text, for assertions such as "no
 * secret anywhere in the store". Keys are "key" in db 0 and "db3/key" elsewhere. Values:
 * a string as is; a hash as "field=value" lines; a set's members and a list's items one a
 * line (sets sorted); a zset as "member score" lines; a stream as "id field=value…" lines.
 * Bytes that are not UTF-8 appear as "hex:…", so search with {@link keysContaining}.
 */
export function dumpAll(target: RedisReach): Promise<Map<string, string>> {
  return withConnection(target, async (client) => {
    const dump = new Map<string, string>();
    const keyspace = String(await client.info('keyspace'));
    const databases = [...keyspace.matchAll(/^db(\d+):/gm)].map((match) => Number(match[1]));
    for (const db of databases) {
      await client.select(db);
      let cursor = '0';
      do {
        const [next, keys] = await client.scanBuffer(cursor, 'COUNT', 1000);
        cursor = String(next);
        for (const key of keys) {
          const name = db === 0 ? render(key) : `db${db}/${render(key)}`;
          dump.set(name, await renderValue(client, key));
        }
      } while (cursor !== '0');
    }
    return dump;
  });
}

/**
 * The dump entries (key and value) holding `needle` as text or, where the dump shows
 * hex, as bytes. A needle split across a UTF-8 and a hex element is not found; values are
 * written whole, so that does not happen in practice.
 */
export function keysContaining(dump: ReadonlyMap<string, string>, needle: string | Buffer): string[] {
  const bytes = typeof needle === 'string' ? Buffer.from(needle, 'utf8') : needle;
  const text = render(bytes);
  const hex = bytes.toString('hex');
  const found: string[] = [];
  for (const [key, value] of dump) {
    const entry = `${key}\n${value}`;
    if (entry.includes(text) || entry.includes(hex)) found.push(key);
  }
  return found;
}

/**
 * Every file under the server's data directory (AOF parts, any RDB, not the socket),
 * concatenated: what an attacker with a backup would read. Stop the server first, or use
 * appendfsync always, so the last writes are on disk.
 */
export function persistedBytes(redis: TestRedis): Buffer {
  const files = readdirSync(redis.dataDir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => readFileSync(join(entry.parentPath, entry.name)));
  return Buffer.concat(files);
}

async function renderValue(client: Redis, key: Buffer): Promise<string> {
  const type = await client.type(key);
  switch (type) {
    case 'string':
      return render((await client.getBuffer(key)) ?? Buffer.alloc(0));
    case 'hash':
      return pairs(await bufferCall(client, 'HGETALL', key)).map(([field, value]) => `${field}=${value}`).join('\n');
    case 'set':
      return (await client.smembersBuffer(key)).map(render).sort().join('\n');
    case 'zset':
      return pairs(await bufferCall(client, 'ZRANGE', key, '0', '-1', 'WITHSCORES'))
        .map(([member, score]) => `${member} ${score}`)
        .join('\n');
    case 'list':
      return (await client.lrangeBuffer(key, 0, -1)).map(render).join('\n');
    case 'stream': {
      const entries = (await client.callBuffer('XRANGE', key, '-', '+')) as [Buffer, Buffer[]][];
      return entries
        .map(([id, fields]) => `${render(id)} ${pairs(fields).map(([field, value]) => `${field}=${value}`).join(' ')}`)
        .join('\n');
    }
    default:
      return `<${type}>`;
  }
}

async function bufferCall(client: Redis, command: string, ...args: (string | Buffer)[]): Promise<Buffer[]> {
  return (await client.callBuffer(command, ...args)) as Buffer[];
}

function pairs(flat: readonly Buffer[]): [string, string][] {
  const result: [string, string][] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) result.push([render(flat[i]!), render(flat[i + 1]!)]);
  return result;
}

/** UTF-8 text when the bytes round-trip through it, otherwise "hex:…" so nothing is lost. */
function render(bytes: Buffer): string {
  const text = bytes.toString('utf8');
  return Buffer.from(text, 'utf8').equals(bytes) ? text : `hex:${bytes.toString('hex')}`;
}
