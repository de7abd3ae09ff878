/**
 * The many-users level of the end-to-end bench (issue 15): a Redis holding 1,000,000 users
 * with a token and 1,000,000 issued codes (the 1,000 login users' multi-use tokencodes, and
 * one one-time code per filler user), and a gateway with `user_cache.max_users` at least
 * that, copying every user at start. What it reports:
 *
 * - the gateway's load time, from `radgate serve` started to every user copied
 *   (`radgate_user_copies` on /metrics, read every 250 ms);
 * - its peak RSS (VmHWM) and its RSS and heap once loaded, and per user copy the growth of
 *   both over the 1,000-code level's gateway (1,000 users, the same code and settings), read
 *   at the same moment;
 * - CPU per PIN + emergency tokencode login, in the rounds like every other cell.
 *
 * Bounded: if the copies are not all made within BENCH_USERS_LOAD_SECONDS, the level runs
 * with what was copied, and says so; if the gateway's RSS passes BENCH_USERS_RSS_MB it is
 * stopped, and if it dies (out of heap), the level reports what it saw and has no cell.
 */
import { readFileSync } from 'node:fs';
import { radgateServer, workersLabel, type Cell } from './cells.js';
import { bulkCreateTokenUsers, bulkIssueCodes, redisUsedMemory } from './population.js';
import { CpuMeter } from './proc-stats.js';
import { formatInteger } from './report.js';
import { SCALE_LOGIN_USERS, scaleLoginUsers, tokencodeScenario, type ScaleSettings } from './scale.js';
import { startBenchStack, type BenchStack, type RadgateInstance } from './stack.js';
import { until } from '../harness/until.js';

export interface UserScaleSettings extends ScaleSettings {
  /** BENCH_SCALE_USERS: users (and codes) of the level; it runs when ≤ BENCH_SCALE_MAX. */
  readonly users: number;
  /** BENCH_USERS_LOAD_SECONDS: how long the gateway may take to copy them. */
  readonly loadBoundSeconds: number;
  /** BENCH_USERS_RSS_MB: the RSS at which the gateway is stopped. */
  readonly rssBoundBytes: number;
}

export interface CopyLoad {
  /** loaded: every user copied; the others say which bound ended the wait, or that the gateway died. */
  readonly outcome: 'loaded' | 'load bound' | 'memory bound' | 'exited';
  /** Pages of records the gateway had to copy again (a Redis command timed out: it retries, login/user-copy-sync.ts). */
  readonly pageRetries: number;
  /** From `radgate serve` started to every copy made (or to the bound). */
  readonly seconds: number;
  /** radgate_user_copies when the wait ended. */
  readonly copies: number;
  /** VmHWM, summed over the gateway's processes. */
  readonly peakRssBytes: number;
  /** VmRSS and heap used once loaded (undefined when the gateway is gone). */
  readonly rssBytes: number | undefined;
  readonly heapUsedBytes: number | undefined;
  /** Growth per copy over the 1,000-user gateway, RSS and heap (undefined without one, or without a loaded gateway). */
  readonly perCopy: { readonly rssBytes: number; readonly heapBytes: number } | undefined;
}

export interface UserScaleLevel {
  readonly users: number;
  readonly codes: number;
  readonly stack: BenchStack;
  /** The bench writing users and codes into Redis. */
  readonly populateSeconds: number;
  /** INFO memory used_memory growth per filler user (with a token and one code). */
  readonly redisBytesPerUser: number;
  readonly load: CopyLoad;
  /** undefined when the gateway could not serve (stopped at the memory bound, or died). */
  readonly cell: Cell | undefined;
}

/** Unlabelled samples from /metrics (Prometheus text format): name → value. */
async function scrape(opsPort: number): Promise<Map<string, number>> {
  const response = await fetch(`http://127.0.0.1:${opsPort}/metrics`);
  if (!response.ok) throw new Error(`/metrics answered ${response.status}`);
  const samples = new Map<string, number>();
  for (const match of (await response.text()).matchAll(/^([a-z_]+) (\S+)$/gm)) samples.set(match[1]!, Number(match[2]));
  return samples;
}

async function memoryOf(instance: RadgateInstance): Promise<{ rss: number; heap: number }> {
  const samples = await scrape(instance.opsPort);
  return { rss: instance.rssBytes(), heap: samples.get('nodejs_heap_size_used_bytes') ?? NaN };
}

/** The gateway still answers in these outcomes (with fewer copies than users unless loaded). */
const serving = (outcome: CopyLoad['outcome']): boolean => outcome === 'loaded' || outcome === 'load bound';

/** How many times the gateway logged that it copies a page of records again (login/user-copy-sync.ts). */
function pageRetries(logFile: string): number {
  try {
    return readFileSync(logFile, 'utf8').split('\n').filter((entry) => entry.includes('could not copy a page of user records')).length;
  } catch {
    return 0;
  }
}

/** Waits for every copy, within the time and memory bounds; never longer than the time bound. */
async function awaitCopies(instance: RadgateInstance, startedAt: number, settings: UserScaleSettings, reference: RadgateInstance | undefined): Promise<CopyLoad> {
  let exited = false;
  void instance.exited.then(() => (exited = true));
  let copies = 0;
  // VmHWM is read at every look: a process that died takes its figure with it.
  const group = new CpuMeter(() => instance.pids());
  let peakRssBytes = 0;
  let outcome: CopyLoad['outcome'];
  try {
    outcome = await until('the user copies', settings.loadBoundSeconds * 1000, async (): Promise<CopyLoad['outcome'] | false> => {
      if (exited) return 'exited';
      peakRssBytes = Math.max(peakRssBytes, group.peakRss());
      if (instance.rssBytes() > settings.rssBoundBytes) return 'memory bound';
      copies = (await scrape(instance.opsPort)).get('radgate_user_copies') ?? copies;
      return copies >= settings.users ? 'loaded' : false;
    }, 250);
  } catch {
    outcome = 'load bound';
  }
  const seconds = (Date.now() - startedAt) / 1000;
  peakRssBytes = Math.max(peakRssBytes, group.peakRss());
  if (outcome === 'memory bound') await instance.stop();
  const mine = serving(outcome) ? await memoryOf(instance).catch(() => undefined) : undefined;
  const theirs = mine === undefined || reference === undefined ? undefined : await memoryOf(reference).catch(() => undefined);
  const grown = copies - SCALE_LOGIN_USERS;
  const perCopy = mine === undefined || theirs === undefined || grown <= 0 ? undefined : { rssBytes: (mine.rss - theirs.rss) / grown, heapBytes: (mine.heap - theirs.heap) / grown };
  return { outcome, pageRetries: pageRetries(instance.logFile), seconds, copies, peakRssBytes, rssBytes: mine?.rss, heapUsedBytes: mine?.heap, perCopy };
}

/**
 * Starts the level (when settings.users ≤ BENCH_SCALE_MAX); its stack is pushed to `stacks`
 * as soon as it runs. `reference` is the 1,000-code level's gateway.
 */
export async function startUserLevel(settings: UserScaleSettings, stacks: BenchStack[], reference: RadgateInstance | undefined): Promise<UserScaleLevel> {
  const { users, progress } = settings;
  const started = Date.now();
  progress(`many-users stack: ${formatInteger(users)} users with a token and ${formatInteger(users)} issued codes`);
  const stack = await startBenchStack(`users-${users}`, { logLevel: settings.logLevel, maxUsers: Math.max(1_000_000, users) });
  stacks.push(stack);
  const loginUsers = await scaleLoginUsers(stack);
  const before = await redisUsedMemory(stack.admin);
  const names = await bulkCreateTokenUsers(stack.admin, 'filler-', users - SCALE_LOGIN_USERS, (done) => progress(`  ${formatInteger(done)} filler users written`));
  const issued = await bulkIssueCodes(stack.admin, names, 1, (done) => progress(`  ${formatInteger(done)} filler users' codes written`));
  const redisBytesPerUser = ((await redisUsedMemory(stack.admin)) - before) / names.length;
  const populateSeconds = (Date.now() - started) / 1000;
  progress(`  in Redis in ${populateSeconds.toFixed(1)} s (${formatInteger(redisBytesPerUser)} B per user with a token and a code); starting the gateway`);

  const gatewayStarted = Date.now();
  const instance = await stack.startRadgate(`radgate-users-${users}`, settings.workers).catch((error: unknown) => {
    progress(`  the gateway did not start: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
    return undefined;
  });
  const load: CopyLoad =
    instance === undefined
      ? { outcome: 'exited', pageRetries: 0, seconds: (Date.now() - gatewayStarted) / 1000, copies: 0, peakRssBytes: 0, rssBytes: undefined, heapUsedBytes: undefined, perCopy: undefined }
      : await awaitCopies(instance, gatewayStarted, settings, reference);
  progress(
    `  gateway: ${load.outcome}${load.pageRetries === 0 ? '' : ` (${load.pageRetries} pages copied again after a timeout)`}, ${formatInteger(load.copies)} copies in ${load.seconds.toFixed(1)} s, peak RSS ${formatInteger(load.peakRssBytes / 2 ** 20)} MB` +
      (load.perCopy === undefined ? '' : `, ${formatInteger(load.perCopy.rssBytes)} B RSS and ${formatInteger(load.perCopy.heapBytes)} B heap per copy`),
  );
  const server = serving(load.outcome) && instance !== undefined ? radgateServer(`${workersLabel(settings.workers)}, a Redis of its own`, stack, instance) : undefined;
  const scenario = tokencodeScenario(`${formatInteger(users)} users and codes`, loginUsers);
  const cell: Cell | undefined = server === undefined ? undefined : { server, scenario, inFlight: 32, samples: [], bestRate: 0 };
  return { users, codes: issued + loginUsers.length, stack, populateSeconds, redisBytesPerUser, load, cell };
}
