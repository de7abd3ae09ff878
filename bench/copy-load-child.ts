/**
 * One gateway-like process for `copy-load.ts`: a Store on the given Redis, UserCopies and
 * UserCopySync exactly as `radgate serve` builds them, imported from a build directory
 * (this tree's dist, or another commit's), so two builds are measured by the same code.
 * Prints one JSON line: load time, RSS and heap before and after (after a full GC), peak
 * RSS, and what one guess() costs. Run with --expose-gc.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import pino from 'pino';

const root = process.env.COPY_LOAD_BUILD ?? join(import.meta.dirname, '..');
const users = Number(process.env.COPY_LOAD_USERS);
const masterKey = Buffer.from(process.env.COPY_LOAD_KEY ?? '', 'hex');
const names = JSON.parse(process.env.COPY_LOAD_SAMPLE ?? '[]') as string[];

const load = <T>(path: string): Promise<T> => import(pathToFileURL(join(root, path)).href) as Promise<T>;

function vm(field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
  return Number(match?.[1] ?? NaN) * 1024;
}

function settle(): { rss: number; heap: number; heapTotal: number; external: number } {
  for (let i = 0; i < 3; i++) globalThis.gc!();
  const usage = process.memoryUsage();
  return { rss: vm('VmRSS'), heap: usage.heapUsed, heapTotal: usage.heapTotal, external: usage.external };
}

const { Keyring } = await load<typeof import('../src/keys/keyring.js')>('src/keys/keyring.js');
const { Store } = await load<typeof import('../src/store/store.js')>('src/store/store.js');
const { UserCopies } = await load<typeof import('../src/login/user-copies.js')>('src/login/user-copies.js');
const { UserCopySync } = await load<typeof import('../src/login/user-copy-sync.js')>('src/login/user-copy-sync.js');

const logger = pino({ level: 'warn' });
const store = new Store(new Redis(process.env.COPY_LOAD_REDIS!, { enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 2000 }), logger, {
  keyPrefix: 'rg:',
  commandTimeoutMs: 2000,
  waitReplicas: 0,
});
await store.waitUntilReady(5000);
const keyring = new Keyring(masterKey);
const copies = new UserCopies({ maxUsers: users + 1000, keyring });
const sync = new UserCopySync({ copies, repository: store.repository, isStoreHealthy: () => store.isHealthy(), logger, followIntervalMs: 3_600_000 });

const before = settle();
const cpuBefore = process.cpuUsage();
const started = performance.now();
await sync.loadAll();
const loadSeconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuBefore);
const peakRss = vm('VmHWM');
const after = settle();

// What a login pays to get its snapshot: guess() of held users, touching what resolution reads.
let sink = 0;
const sample = names.filter((name) => copies.has(name));
const guess = (rounds: number): number => {
  const t0 = performance.now();
  for (let i = 0; i < rounds; i++) {
    const snapshot = copies.guess(sample[i % sample.length]!);
    sink += snapshot.revision.length + (snapshot.user?.pinHash?.length ?? 0) + (snapshot.user?.token?.digits ?? 0) + snapshot.challenges.requests.length;
  }
  return ((performance.now() - t0) * 1000) / rounds;
};
guess(200_000);
const guessMicros = Math.min(guess(500_000), guess(500_000), guess(500_000));

sync.stop();
await store.close();
console.log(JSON.stringify({ copies: copies.size, loadSeconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, before, after, peakRss, guessMicros, sink: sink > 0 }));
