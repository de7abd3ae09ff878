import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { pino } from 'pino';
import { RedisProcessError } from '../../src/embedded-redis/errors.js';
import { RedisProcess } from '../../src/embedded-redis/redis-process.js';
import { patient } from '../../harness/patience.js';
import { digest, dumpAll, keysContaining, persistedBytes, startTestRedis, withConnection } from '../../harness/redis.js';
import { tempDir } from '../../harness/temp.js';
import { until } from '../../harness/until.js';

// Every test starts its own real redis-server, and stops it in `finally` so a failed
// assertion leaves nothing behind; the child guard (src/child-guard.ts) is the second net.

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function eventually(what: string, check: () => boolean): Promise<boolean> {
  return until(what, patient(15_000), check);
}

test('starts a private server on 127.0.0.1 that answers PING', async (t) => {
  const redis = await startTestRedis();
  try {
    t.is(redis.url, `redis://127.0.0.1:${redis.port}`);
    t.truthy(redis.pid());
    await withConnection(redis, async (client) => {
      t.is(await client.ping(), 'PONG');
      t.deepEqual(await client.config('GET', 'bind'), ['bind', '127.0.0.1']);
      t.deepEqual(await client.config('GET', 'dir'), ['dir', redis.dataDir]);
      t.deepEqual(await client.config('GET', 'appendonly'), ['appendonly', 'yes']);
      t.deepEqual(await client.config('GET', 'save'), ['save', '']);
    });
    t.is(statSync(redis.dataDir).mode & 0o777, 0o700);
  } finally {
    await redis.stop();
  }
});

test('data written with appendfsync always survives restart() on the same port', async (t) => {
  const redis = await startTestRedis({ appendfsync: 'always' });
  try {
    await withConnection(redis, async (client) => {
      await client.set('user:alice', 'pin-hash');
      await client.hset('code:1', { owner: 'alice', uses: '1' });
    });
    const before = await digest(redis);
    const { port } = redis;
    const firstPid = redis.pid();

    await redis.restart();

    t.is(redis.port, port);
    t.not(redis.pid(), firstPid);
    t.is(await digest(redis), before);
    await withConnection(redis, async (client) => t.is(await client.get('user:alice'), 'pin-hash'));
  } finally {
    await redis.stop();
  }
});

test('stop() leaves no process behind, and may be called twice', async (t) => {
  const redis = await startTestRedis();
  const pid = redis.pid()!;
  t.true(isAlive(pid));
  await redis.stop();
  t.throws(() => process.kill(pid, 0), { code: 'ESRCH' });
  t.is(redis.pid(), undefined);
  await t.notThrowsAsync(redis.stop());
});

test('a missing redis-server gives an error that says what to do', async (t) => {
  const atPath = await t.throwsAsync(startTestRedis({ redisServerPath: '/nonexistent/redis-server' }), {
    instanceOf: RedisProcessError,
  });
  t.is(atPath.code, 'RADGATE_REDIS_NOT_FOUND');
  t.is(
    atPath.message,
    'redis-server not found at /nonexistent/redis-server: install redis-server (apt-get install redis-server) or set redis.url',
  );

  const onPath = await t.throwsAsync(startTestRedis({ redisServerPath: 'radgate-no-such-redis-server' }), {
    instanceOf: RedisProcessError,
  });
  t.is(
    onPath.message,
    'redis-server not found on PATH: install redis-server (apt-get install redis-server) or set redis.url',
  );
});

test('a server that exits at start-up is reported with its last output', async (t) => {
  const error = await t.throwsAsync(startTestRedis({ extraArgs: ['--no-such-directive', 'yes'] }), {
    instanceOf: RedisProcessError,
  });
  t.is(error.code, 'RADGATE_REDIS_START_FAILED');
  t.regex(error.message, /exited with code 1 during start-up/);
  t.regex(error.message, /no-such-directive/);
});

test('two instances get different ports and separate data', async (t) => {
  const [first, second] = await Promise.all([startTestRedis(), startTestRedis()]);
  try {
    t.not(first.port, second.port);
    await withConnection(first, (client) => client.set('only-in', 'first'));
    t.is(await withConnection(second, (client) => client.get('only-in')), null);
  } finally {
    await Promise.all([first.stop(), second.stop()]);
  }
});

test('a fixed port that is taken fails with the reason, without trying another', async (t) => {
  const squatter: Server = createServer();
  await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
  const { port } = squatter.address() as AddressInfo;
  try {
    const error = await t.throwsAsync(startTestRedis({ port }), { instanceOf: RedisProcessError });
    t.regex(error.message, /Address already in use/);
  } finally {
    squatter.close();
  }
});

test('supervise: true restarts after SIGKILL, and appendfsync always kept every write', async (t) => {
  const redis = await startTestRedis({ supervise: true, appendfsync: 'always' });
  try {
    await withConnection(redis, async (client) => {
      for (let i = 0; i < 100; i++) await client.set(`key:${i}`, `value:${i}`);
    });
    const before = await digest(redis);
    const killedPid = redis.pid()!;

    redis.kill('SIGKILL');

    await eventually('the supervisor starts a new server', () => redis.pid() !== undefined && redis.pid() !== killedPid);
    t.false(isAlive(killedPid));
    t.is(await digest(redis), before);
    t.is(await withConnection(redis, (client) => client.get('key:99')), 'value:99');
  } finally {
    await redis.stop();
  }
});

test('without supervision a crashed server stays down until restart()', async (t) => {
  const redis = await startTestRedis({ appendfsync: 'always' });
  try {
    await withConnection(redis, (client) => client.set('k', 'v'));
    const killedPid = redis.pid()!;
    redis.kill('SIGKILL');
    await eventually('the server is gone', () => redis.pid() === undefined);
    t.false(isAlive(killedPid));
    await redis.restart();
    t.is(await withConnection(redis, (client) => client.get('k')), 'v');
  } finally {
    await redis.stop();
  }
});

test('the test Redis stops even while frozen (SIGSTOP), and stop() gives it SIGCONT first', async (t) => {
  const redis = await startTestRedis({ stopTimeoutMs: 5_000 });
  const pid = redis.pid()!;
  redis.freeze();
  await redis.stop();
  t.false(isAlive(pid));
});

test('unix socket only (the embedded default): mode 0700, no TCP, and the url is the socket path', async (t) => {
  const redis = await RedisProcess.start({ dataDir: tempDir('redis-socket'), unixSocket: true });
  try {
    t.is(redis.port, undefined);
    t.is(redis.url, redis.socketPath!);
    t.is(statSync(redis.socketPath!).mode & 0o777, 0o700);
    await withConnection(redis.url, async (client) => {
      t.is(await client.ping(), 'PONG');
      t.deepEqual(await client.config('GET', 'port'), ['port', '0']);
    });
  } finally {
    await redis.stop();
  }
});

test('a second server on a data directory still in use is refused', async (t) => {
  const redis = await startTestRedis();
  try {
    const error = await t.throwsAsync(RedisProcess.start({ dataDir: redis.dataDir, unixSocket: true }), {
      instanceOf: RedisProcessError,
    });
    t.is(error.code, 'RADGATE_REDIS_DATA_DIR_IN_USE');
    t.regex(error.message, new RegExp(`pid ${redis.pid()}`));
  } finally {
    await redis.stop();
  }
});

test('dumpAll shows every type, and keysContaining finds text and binary values', async (t) => {
  const redis = await startTestRedis({ appendfsync: 'always' });
  try {
    await withConnection(redis, async (client) => {
      await client.set('s', 'plain');
      await client.set('bin', Buffer.from([0xff, 0x00, 0x13, 0x37]));
      await client.hset('h', { field: 'hashed-value' });
      await client.sadd('set', 'b', 'a');
      await client.zadd('z', 2, 'two');
      await client.rpush('l', 'first', 'second');
      await client.xadd('x', '1-1', 'event', 'login');
      await client.select(2);
      await client.set('elsewhere', 'secret-in-db2');
    });
    const dump = await dumpAll(redis);
    t.deepEqual(
      Object.fromEntries(dump),
      {
        s: 'plain',
        bin: 'hex:ff001337',
        h: 'field=hashed-value',
        set: 'a\nb',
        z: 'two 2',
        l: 'first\nsecond',
        x: '1-1 event=login',
        'db2/elsewhere': 'secret-in-db2',
      },
    );
    t.deepEqual(keysContaining(dump, 'secret-in-db2'), ['db2/elsewhere']);
    t.deepEqual(keysContaining(dump, Buffer.from([0x13, 0x37])), ['bin']);
    t.deepEqual(keysContaining(dump, 'nowhere'), []);
    t.true(persistedBytes(redis).includes('secret-in-db2'));
  } finally {
    await redis.stop();
  }
});

test('redis banners log at info, and a crash logs a warning with the signal', async (t) => {
  const lines: { level: number; msg: string; signal?: string }[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  const redis = await startTestRedis({ logger, supervise: true });
  try {
    const killedPid = redis.pid()!;
    redis.kill('SIGKILL');
    await eventually('the restart is logged', () => lines.some((line) => line.msg === 'redis-server restarted'));
    t.not(redis.pid(), killedPid);
  } finally {
    await redis.stop();
  }
  const INFO = 30;
  const WARN = 40;
  t.true(lines.some((line) => line.level === INFO && /Redis is starting/.test(line.msg)));
  t.true(lines.some((line) => line.level === WARN && line.msg === 'redis-server exited unexpectedly' && line.signal === 'SIGKILL'));
  // The host may add its own warnings (memory overcommit); routine shutdown must not.
  t.false(lines.some((line) => line.level === WARN && /bye bye|shutdown/i.test(line.msg)));
});

const fakeDirs: string[] = [];
test.after.always(() => {
  for (const dir of fakeDirs) rmSync(dir, { recursive: true, force: true });
});

function fakeDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'radgate-fake-redis-'));
  fakeDirs.push(dir);
  return dir;
}

/** A stand-in for redis-server: a shell script, for start-up failures a real one rarely shows. */
function fakeRedisServer(script: string): string {
  const path = join(fakeDir(), 'redis-server');
  writeFileSync(path, `#!/bin/sh\n${script}\n`, { mode: 0o755 });
  return path;
}

test('the test Redis retries another free port when one is taken before redis binds', async (t) => {
  // The first run fails as redis does when it loses the race for the port; the next is real.
  const marker = join(fakeDir(), 'failed-once');
  const redisServerPath = fakeRedisServer(
    `if [ ! -e ${marker} ]; then touch ${marker}; ` +
      `echo "1:M 01 Jan 2025 00:00:00.000 # Warning: Could not create server TCP listening socket 127.0.0.1:1: bind: Address already in use"; exit 1; fi\n` +
      'exec redis-server "$@"',
  );
  const redis = await startTestRedis({ redisServerPath });
  try {
    await withConnection(redis, async (client) => t.is(await client.ping(), 'PONG'));
  } finally {
    await redis.stop();
  }
});

test('a server that never answers PING fails the start after startTimeoutMs and is killed', async (t) => {
  const pidFile = join(fakeDir(), 'pid');
  const redisServerPath = fakeRedisServer(`echo $$ > ${pidFile}\nexec sleep 60`);
  const error = await t.throwsAsync(startTestRedis({ redisServerPath, startTimeoutMs: 500 }), {
    instanceOf: RedisProcessError,
  });
  t.is(error.code, 'RADGATE_REDIS_START_FAILED');
  t.regex(error.message, /did not answer PING within 500 ms \(last answer: ECONNREFUSED\)/);
  t.false(isAlive(Number(readFileSync(pidFile, 'utf8'))));
});
