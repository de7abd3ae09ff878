/**
 * Turns the bench's measurements into the markdown it prints: one results table, the
 * issue's targets with met / not met, and the notes a reader needs to trust the figures.
 */
import type { RunResult } from './load-generator.js';

/** One run of one scenario against one server. */
export interface Sample {
  readonly result: RunResult;
  /** CPU seconds of the server processes (radgate primary + workers, or freeradius) during the run. */
  readonly gatewayCpuSeconds: number;
  /** CPU seconds of redis-server during the run (0 for FreeRADIUS). */
  readonly redisCpuSeconds: number;
  readonly processesChanged: boolean;
  /**
   * Cores' worth of CPU that other processes used during the run: the machine's busy
   * time minus the server's, Redis's and the generator's. Anything well above 0 means
   * someone else's work ran alongside and the figures of that run are suspect.
   */
  readonly foreignCores: number;
}

/** A row: every round of one scenario, server and in-flight count. */
export interface Row {
  readonly scenario: string;
  readonly server: string;
  readonly inFlight: number;
  /**
   * The FreeRADIUS rows this one is compared with (same reply kind, same in-flight count):
   * files-PAP and FreeRADIUS + rlm_redis; undefined where that baseline did not run or the
   * row is itself that baseline.
   */
  readonly baselines: Baselines;
  readonly samples: readonly Sample[];
  readonly gatewayRssBytes: number;
  readonly redisRssBytes: number;
}

export interface Baselines {
  /** FreeRADIUS files-PAP: no store round trip at all. */
  readonly files: Row | undefined;
  /** FreeRADIUS + rlm_redis: one Redis round trip per request, the same job's peer. */
  readonly redis: Row | undefined;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

const answered = (sample: Sample): number => Math.max(1, sample.result.sent - sample.result.timeout);

/** Medians over the rounds: each figure is the median of that figure. */
export interface Summary {
  readonly requestsPerSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly gatewayUs: number;
  readonly redisUs: number;
  readonly totalUs: number;
  readonly generatorUs: number;
  readonly generatorBusy: number;
  readonly accept: number;
  readonly reject: number;
  readonly challenge: number;
  readonly timeout: number;
  readonly bad: number;
  readonly requests: number;
  readonly stoppedEarly: number;
  readonly processesChanged: number;
}

export function summarize(row: Row): Summary {
  const pick = (figure: (sample: Sample) => number) => median(row.samples.map(figure));
  const sum = (figure: (sample: Sample) => number) => row.samples.reduce((total, sample) => total + figure(sample), 0);
  return {
    requestsPerSecond: pick((s) => s.result.requestsPerSecond),
    p50: pick((s) => s.result.latencyMs.p50),
    p99: pick((s) => s.result.latencyMs.p99),
    max: Math.max(...row.samples.map((s) => s.result.latencyMs.max)),
    gatewayUs: pick((s) => (s.gatewayCpuSeconds * 1e6) / answered(s)),
    redisUs: pick((s) => (s.redisCpuSeconds * 1e6) / answered(s)),
    totalUs: pick((s) => ((s.gatewayCpuSeconds + s.redisCpuSeconds) * 1e6) / answered(s)),
    generatorUs: pick((s) => s.result.generatorCpuUsPerRequest),
    generatorBusy: pick((s) => s.result.generatorLoopUtilization),
    accept: sum((s) => s.result.accept),
    reject: sum((s) => s.result.reject),
    challenge: sum((s) => s.result.challenge),
    timeout: sum((s) => s.result.timeout),
    bad: sum((s) => s.result.unexpected + s.result.invalid + s.result.sendErrors),
    requests: sum((s) => s.result.sent),
    stoppedEarly: row.samples.filter((s) => s.result.stoppedEarly !== undefined).length,
    processesChanged: row.samples.filter((s) => s.processesChanged).length,
  };
}

const integer = (value: number): string => Math.round(value).toLocaleString('en-US');
const fixed = (value: number, digits: number): string => (Number.isFinite(value) ? value.toFixed(digits) : '–');
const ratio = (value: number, base: number | undefined): string => (base === undefined || !Number.isFinite(value / base) ? '–' : `${(value / base).toFixed(2)}×`);
const megabytes = (bytes: number): string => (bytes > 0 ? integer(bytes / 2 ** 20) : '–');

const baselineSummaries = (row: Row): { files: Summary | undefined; redis: Summary | undefined } => ({
  files: row.baselines.files === undefined ? undefined : summarize(row.baselines.files),
  redis: row.baselines.redis === undefined ? undefined : summarize(row.baselines.redis),
});

export function resultsTable(rows: readonly Row[]): string {
  const header = [
    'scenario', 'server', 'in flight', 'req/s', 'p50 ms', 'p99 ms', 'max ms', 'accept / reject / challenge', 'timeouts', 'bad replies',
    'server µs/req', 'redis µs/req', 'total µs/req', 'CPU ÷ FR files', 'CPU ÷ FR+redis', 'req/s ÷ FR files', 'req/s ÷ FR+redis', 'p99 ÷ FR files',
    'generator µs/req (busy)', 'peak RSS MB server / redis',
  ];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i < 3 ? '---' : '---:')).join('|')}|`];
  for (const row of rows) {
    const s = summarize(row);
    const { files, redis } = baselineSummaries(row);
    lines.push(
      `| ${[
        row.scenario,
        row.server,
        String(row.inFlight),
        integer(s.requestsPerSecond),
        fixed(s.p50, 2),
        fixed(s.p99, 2),
        fixed(s.max, 1),
        `${integer(s.accept)} / ${integer(s.reject)} / ${integer(s.challenge)}`,
        integer(s.timeout),
        integer(s.bad),
        fixed(s.gatewayUs, 1),
        row.redisRssBytes > 0 ? fixed(s.redisUs, 1) : '–',
        fixed(s.totalUs, 1),
        ratio(s.totalUs, files?.totalUs),
        ratio(s.totalUs, redis?.totalUs),
        ratio(s.requestsPerSecond, files?.requestsPerSecond),
        ratio(s.requestsPerSecond, redis?.requestsPerSecond),
        ratio(s.p99, files?.p99),
        `${fixed(s.generatorUs, 1)} (${Math.round(s.generatorBusy * 100)} %)`,
        `${megabytes(row.gatewayRssBytes)} / ${megabytes(row.redisRssBytes)}`,
      ].join(' | ')} |`,
    );
  }
  return lines.join('\n');
}

/**
 * The comparison at a glance, as the README shows it: each row with both baselines (32 in
 * flight), CPU per request incl. Redis and req/s, against FreeRADIUS files-PAP and
 * FreeRADIUS + rlm_redis.
 */
export function comparisonTable(rows: readonly Row[]): string {
  const lines = [
    '| scenario | server | total µs/req | ÷ FR files | ÷ FR+redis | req/s | ÷ FR files | ÷ FR+redis |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const row of rows) {
    if (row.inFlight !== 32 || (row.baselines.files === undefined && row.baselines.redis === undefined)) continue;
    const s = summarize(row);
    const { files, redis } = baselineSummaries(row);
    lines.push(
      `| ${row.scenario} | ${row.server} | ${fixed(s.totalUs, 1)} | ${ratio(s.totalUs, files?.totalUs)} | ${ratio(s.totalUs, redis?.totalUs)} | ` +
        `${integer(s.requestsPerSecond)} | ${ratio(s.requestsPerSecond, files?.requestsPerSecond)} | ${ratio(s.requestsPerSecond, redis?.requestsPerSecond)} |`,
    );
  }
  return lines.join('\n');
}

export interface Target {
  readonly figure: string;
  readonly target: string;
  readonly measured: string;
  /** undefined: not judged in this run (e.g. no FreeRADIUS, or a level below the one the target names). */
  readonly met: boolean | undefined;
  /** How far from the target, in words ("42 % over"). */
  readonly margin: string;
}

/** "met (12 % under)" / "NOT met (2.3× the limit)". */
export function verdict(met: boolean | undefined, margin: string): string {
  if (met === undefined) return 'not judged';
  return `${met ? 'met' : '**not met**'}${margin === '' ? '' : ` (${margin})`}`;
}

/** How a value compares with a ceiling: "18 % under" or "2.4× over". */
export function againstCeiling(value: number, ceiling: number): { met: boolean; margin: string } {
  const share = value / ceiling;
  if (share <= 1) return { met: true, margin: `${Math.round((1 - share) * 100)} % under` };
  return { met: false, margin: share >= 2 ? `${share.toFixed(1)}× the limit` : `${Math.round((share - 1) * 100)} % over` };
}

/** How a value compares with a floor: "5 % above" or "62 % short". */
export function againstFloor(value: number, floor: number): { met: boolean; margin: string } {
  const share = value / floor;
  if (share >= 1) return { met: true, margin: `${Math.round((share - 1) * 100)} % above` };
  return { met: false, margin: `${Math.round((1 - share) * 100)} % short` };
}

export function targetsTable(targets: readonly Target[]): string {
  const lines = ['| figure | target | measured | result |', '|---|---|---|---|'];
  for (const target of targets) lines.push(`| ${target.figure} | ${target.target} | ${target.measured} | ${verdict(target.met, target.margin)} |`);
  return lines.join('\n');
}

export { integer as formatInteger, fixed as formatFixed };
