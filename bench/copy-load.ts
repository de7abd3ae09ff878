/**
 * What the gateway's user copies cost (issue 15): memory per copy and the time to copy
 * every user at start, for one or more builds side by side on the same Redis.
 *
 *   node dist/bench/copy-load.js
 *   BENCH_COPY_USERS=1000000 BENCH_COPY_BUILDS=/tmp/main-build,. node dist/bench/copy-load.js
 *
 * A private redis-server gets BENCH_COPY_USERS users written as the e2e bench writes its
 * filler (bench/population.ts: a PIN, a TOTP token, one emergency tokencode each). Then,
 * for each build (a directory holding a `dist/`, BENCH_COPY_BUILDS, default this one) and
 * each of BENCH_ROUNDS rounds (default 1, builds alternated), a fresh Node process
 * (copy-load-child.ts) makes a Store, UserCopies and UserCopySync as `radgate serve` does
 * and loads every user: its load time, CPU, RSS and V8 heap growth per copy (after full
 * GCs, over the same process before loading), peak RSS, and the cost of one guess().
 * Cheaper than bench:e2e's many-users level: no RADIUS, no gateway start-up.
 * BENCH_COPY_NODE_ARGS adds Node options to the loading process (e.g. `--cpu-prof`).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import pino from 'pino';
import { Keyring } from '../src/keys/keyring.js';
import type { AdminAccess } from '../src/serve/admin-access.js';
import { Store } from '../src/store/store.js';
import { startTestRedis } from '../harness/redis.js';
import { bulkCreateTokenUsers, bulkIssueCodes } from './population.js';
import { formatInteger } from './report.js';

const run = promisify(execFile);
const users = Number(process.env.BENCH_COPY_USERS ?? 100_000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 1);
const builds = (process.env.BENCH_COPY_BUILDS ?? resolve(import.meta.dirname, '..', '..')).split(',').map((build) => resolve(build));
const progress = (line: string): void => void process.stderr.write(`${line}\n`);

interface ChildReport {
  readonly copies: number;
  readonly loadSeconds: number;
  readonly cpuSeconds: number;
  readonly before: { rss: number; heap: number; heapTotal: number; external: number };
  readonly after: { rss: number; heap: number; heapTotal: number; external: number };
  readonly peakRss: number;
  readonly guessMicros: number;
}

const redis = await startTestRedis({ appendonly: false });
const masterKey = randomBytes(32);
const store = new Store(new Redis(redis.url), pino({ level: 'warn' }), { keyPrefix: 'rg:', commandTimeoutMs: 10_000, waitReplicas: 0 });
try {
  await store.waitUntilReady(5000);
  const admin = { keyring: new Keyring(masterKey), store } as unknown as AdminAccess;
  const started = Date.now();
  const names = await bulkCreateTokenUsers(admin, 'filler-', users, (done) => progress(`${formatInteger(done)} users written`));
  await bulkIssueCodes(admin, names, 1, (done) => progress(`${formatInteger(done)} users' codes written`));
  progress(`${formatInteger(users)} users in Redis in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const sample = Array.from({ length: 1000 }, (_, i) => names[Math.floor((i * names.length) / 1000)]!);

  const results = new Map<string, ChildReport[]>(builds.map((build) => [build, []]));
  for (let round = 0; round < rounds; round++) {
    for (const build of builds) {
      const nodeArgs = (process.env.BENCH_COPY_NODE_ARGS ?? '').split(' ').filter(Boolean);
      const { stdout } = await run(process.execPath, ['--expose-gc', ...nodeArgs, resolve(import.meta.dirname, 'copy-load-child.js')], {
        env: { ...process.env, COPY_LOAD_BUILD: resolve(build, 'dist'), COPY_LOAD_USERS: String(users), COPY_LOAD_KEY: masterKey.toString('hex'), COPY_LOAD_REDIS: redis.url, COPY_LOAD_SAMPLE: JSON.stringify(sample) },
        maxBuffer: 1 << 20,
      });
      const report = JSON.parse(stdout.trim().split('\n').at(-1)!) as ChildReport;
      progress(`${build} round ${round + 1}: ${formatInteger(report.copies)} copies in ${report.loadSeconds.toFixed(1)} s`);
      results.get(build)!.push(report);
    }
  }

  const median = (values: number[]): number => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const mb = (bytes: number): string => formatInteger(bytes / 2 ** 20);
  console.log(`\n${formatInteger(users)} users, ${rounds} round(s), medians; load average ${(await import('node:os')).loadavg().map((l) => l.toFixed(2)).join(' ')} at the end\n`);
  console.log('| build | copies | load s | load CPU s | RSS per copy B | heap used per copy B | external per copy B | heap committed MB | RSS loaded MB | peak RSS MB | guess() µs |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const [build, reports] of results) {
    const per = (pick: (report: ChildReport) => number): number => median(reports.map(pick));
    console.log(
      `| ${build} | ${formatInteger(per((r) => r.copies))} | ${per((r) => r.loadSeconds).toFixed(1)} | ${per((r) => r.cpuSeconds).toFixed(1)} | ` +
        `${formatInteger(per((r) => (r.after.rss - r.before.rss) / r.copies))} | ${formatInteger(per((r) => (r.after.heap - r.before.heap) / r.copies))} | ` +
        `${formatInteger(per((r) => (r.after.external - r.before.external) / r.copies))} | ${mb(per((r) => r.after.heapTotal))} | ` +
        `${mb(per((r) => r.after.rss))} | ${mb(per((r) => r.peakRss))} | ${per((r) => r.guessMicros).toFixed(3)} |`,
    );
  }
} finally {
  await store.close();
  await redis.stop();
}
