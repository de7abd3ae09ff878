import { readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { supervisorFileOf } from '../../src/embedded-redis/data-dir-claim.js';
import { RedisProcess } from '../../src/embedded-redis/redis-process.js';
import { PacketCode } from '../../src/protocol/index.js';
import { runCli } from '../../harness/cli.js';
import { SECRET_ENV, writeTestConfig } from '../../harness/config.js';
import { loginOnce } from '../../harness/nas.js';
import { patient } from '../../harness/patience.js';
import { startServeProcess, type ServeProcess } from '../../harness/serve-process.js';
import { startStack } from '../../harness/stack.js';
import { tempDir } from '../../harness/temp.js';
import { until } from '../../harness/until.js';

// The service lifecycle (issue 14): no signal or crash leaves a redis-server behind or
// lets a new serve join one it does not supervise, and a serve that cannot start says why
// and exits.

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
}

/** Every redis-server whose working directory (its --dir) is this data directory. */
function redisServersOn(dataDir: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('redis') && readlinkSync(`/proc/${pid}/cwd`) === dataDir && alive(Number(pid));
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** A config with no redis.url: serve runs its own redis-server in `dataDir`. */
function embeddedConfig(directory: string, dataDir: string, listen = '127.0.0.1:0'): string {
  const path = join(directory, `radgate-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(
    path,
    `listen: ["${listen}"]
workers: 1
clients:
  - name: local
    address: 127.0.0.1
    secret_env: TEST_SECRET
redis:
  embedded:
    data_dir: ${dataDir}
keys:
  file: ${join(directory, 'radgate.key')}
  create_if_missing: true
ops:
  listen: "127.0.0.1:0"
`,
  );
  return path;
}

const redisPidOf = (serve: ServeProcess): number => {
  const line = serve.lines.find((text) => text.includes('"msg":"redis-server ready"'));
  return (JSON.parse(line!) as { pid: number }).pid;
};

test.serial('SIGKILL of the gateway: its redis-server does not outlive it; the next serve starts cleanly and leaves none behind', async (t) => {
  const directory = tempDir('lifecycle');
  const dataDir = join(directory, 'redis');
  const config = embeddedConfig(directory, dataDir);
  const first = await startServeProcess(config, { env: SECRET_ENV });
  const firstRedis = redisPidOf(first);
  t.deepEqual(redisServersOn(dataDir), [firstRedis]);
  await first.stop('SIGKILL');
  // At once, as a service manager restarts it: the old server may still be going down.
  const second = await startServeProcess(config, { env: SECRET_ENV });
  try {
    const secondRedis = redisPidOf(second);
    await until('the killed gateway\'s redis-server is gone', patient(5000), () => !alive(firstRedis));
    t.deepEqual(redisServersOn(dataDir), [secondRedis], 'only the new, supervised server runs');
    t.is(await loginOnce(second.port, 'nobody', 'wrong'), PacketCode.AccessReject, 'the new gateway answers');
    t.is(await second.stop('SIGTERM'), 0);
    // serve stops its redis-server before it exits.
    t.deepEqual(redisServersOn(dataDir), [], 'no redis-server is left over');
  } finally {
    await second.stop('SIGKILL');
  }
});

test.serial('SIGKILL of the gateway, and nothing started after it: its redis-server stops by itself', async (t) => {
  const directory = tempDir('lifecycle');
  const dataDir = join(directory, 'redis');
  const first = await startServeProcess(embeddedConfig(directory, dataDir), { env: SECRET_ENV });
  const firstRedis = redisPidOf(first);
  await first.stop('SIGKILL');
  // No second serve to take it over: only the watchdog (src/child-guard.ts) can stop it.
  await until("the killed gateway's redis-server is gone", patient(10_000), () => !alive(firstRedis));
  t.deepEqual(redisServersOn(dataDir), []);
});

test.serial('a redis-server left on the data directory by a dead radgate is taken over, never joined', async (t) => {
  const directory = tempDir('lifecycle');
  const dataDir = join(directory, 'redis');
  // An orphan: a server on the directory whose recorded supervisor is no longer its parent
  // (what a SIGKILLed radgate leaves if its watchdog could not stop the server).
  const orphan = await RedisProcess.start({ dataDir, unixSocket: true });
  const orphanPid = orphan.pid()!;
  writeFileSync(supervisorFileOf(dataDir), '999999\n');
  const serve = await startServeProcess(embeddedConfig(directory, dataDir), { env: SECRET_ENV });
  try {
    t.true(serve.lines.some((line) => line.includes('left running on the data directory by a radgate that is gone')));
    t.false(alive(orphanPid), 'the orphan was stopped');
    t.deepEqual(redisServersOn(dataDir), [redisPidOf(serve)]);
    t.is(await serve.stop('SIGTERM'), 0);
    t.deepEqual(redisServersOn(dataDir), []);
  } finally {
    await serve.stop('SIGKILL');
    await orphan.stop();
  }
});

test.serial('a second serve on a data directory a running serve supervises exits 1 naming it', async (t) => {
  const directory = tempDir('lifecycle');
  const dataDir = join(directory, 'redis');
  const first = await startServeProcess(embeddedConfig(directory, dataDir), { env: SECRET_ENV });
  try {
    // Another port, the same data directory.
    const second = await runCli(['serve', '--config', embeddedConfig(directory, dataDir)], { env: SECRET_ENV });
    t.is(second.exitCode, 1);
    t.regex(second.stderr, new RegExp(`redis-server pid ${redisPidOf(first)} on ${dataDir} is supervised by radgate pid ${first.pid}`));
    t.deepEqual(redisServersOn(dataDir), [redisPidOf(first)], 'the running one is untouched');
    t.is(await loginOnce(first.port, 'nobody', 'wrong'), PacketCode.AccessReject);
  } finally {
    await first.stop('SIGTERM');
  }
});

for (const workers of [1, 2]) {
  test.serial(`workers: ${workers}, a second serve on a port in use exits 1 with the reason`, async (t) => {
    const stack = await startStack();
    const first = await stack.startServe();
    try {
      const second = writeTestConfig(stack.redis.url, { listen: `127.0.0.1:${first.port}`, workers, keyFile: stack.config.keys.file }, stack.directory, 'second.yaml');
      // Waits for the exit: before the fix a worker that could not bind hung with its primary.
      const result = await runCli(['serve', '--config', second.path], { env: SECRET_ENV });
      t.is(result.exitCode, 1);
      t.regex(result.stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${first.port}: the port is in use`));
      t.is(result.stderr.match(/cannot listen/g)?.length, 1, 'said once, by the primary');
      t.is(await loginOnce(first.port, 'nobody', 'wrong'), PacketCode.AccessReject, 'the running gateway is untouched');
    } finally {
      await stack.close();
    }
  });
}
