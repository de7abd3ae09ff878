/**
 * The bench's unit of measurement: a cell is one scenario against one server at one
 * in-flight count, and measure() runs it once — preparing outside the measurement,
 * reading the servers' CPU from /proc around the run, and estimating how much other work
 * shared the machine meanwhile.
 */
import { availableParallelism } from 'node:os';
import { runLoad, type RunResult, type Target as LoadTarget, type Workload } from './load-generator.js';
import { CpuMeter, machineBusySeconds } from './proc-stats.js';
import { sleep } from '../harness/until.js';
import { formatFixed, formatInteger, type Sample } from './report.js';
import type { TotpLogins } from './scenarios.js';
import type { BenchStack, RadgateInstance } from './stack.js';

/** Other processes' CPU (cores) above which a run is flagged as disturbed; below it is measurement noise. */
export const FOREIGN_CORES_NOTED = 0.3;

export interface Server {
  readonly label: string;
  readonly target: LoadTarget;
  readonly gateway: CpuMeter;
  readonly redis: CpuMeter | undefined;
}

export type Baseline = 'pap' | 'pap-wrong' | 'status';

export interface Scenario {
  readonly label: string;
  readonly workload: Workload;
  readonly baseline: Baseline;
  /** Runs before every run (outside the measurement): unlock users, wait for a fresh TOTP step. */
  readonly prepare?: (expectedRequests: number) => Promise<void>;
}

export interface Cell {
  readonly server: Server;
  readonly scenario: Scenario;
  readonly inFlight: number;
  readonly samples: Sample[];
  /** Highest rate seen, to predict how many TOTP logins the next run needs. */
  bestRate: number;
}

export interface MeasureSettings {
  readonly seconds: number;
  /** false: a warm-up, not recorded. */
  readonly record: boolean;
  readonly maxRequests: number;
  readonly timeoutMs: number;
  readonly progress: (line: string) => void;
}

export async function measure(cell: Cell, settings: MeasureSettings): Promise<RunResult> {
  const { seconds, record, progress } = settings;
  const expected = Math.min(settings.maxRequests, Math.ceil((cell.bestRate || 10_000) * seconds * 1.25));
  await cell.scenario.prepare?.(expected);
  const { server } = cell;
  server.gateway.start();
  server.redis?.start();
  const machineBefore = machineBusySeconds();
  const result = await runLoad({
    target: server.target,
    workload: cell.scenario.workload,
    inFlight: cell.inFlight,
    durationMs: seconds * 1000,
    maxRequests: settings.maxRequests,
    timeoutMs: settings.timeoutMs,
  });
  const machine = machineBusySeconds() - machineBefore;
  const gateway = server.gateway.stop();
  const redis = server.redis?.stop() ?? { seconds: 0, processesChanged: false };
  // The idle servers of the other stacks (health pings) account for well under 0.05 core.
  const foreignCores = Math.max(0, machine - gateway.seconds - redis.seconds - result.generatorCpuSeconds) / (result.elapsedMs / 1000);
  cell.bestRate = Math.max(cell.bestRate, result.requestsPerSecond);
  if (record) {
    cell.samples.push({
      result,
      gatewayCpuSeconds: gateway.seconds,
      redisCpuSeconds: redis.seconds,
      processesChanged: gateway.processesChanged || redis.processesChanged,
      foreignCores,
    });
  }
  const answered = Math.max(1, result.sent - result.timeout);
  progress(
    `${record ? '' : 'warm-up '}${cell.scenario.label} | ${server.label} | ${cell.inFlight} in flight: ${formatInteger(result.requestsPerSecond)} req/s, ` +
      `p99 ${formatFixed(result.latencyMs.p99, 2)} ms, ${formatFixed(((gateway.seconds + redis.seconds) * 1e6) / answered, 1)} µs CPU/req` +
      `${foreignCores > FOREIGN_CORES_NOTED ? `, other processes used ~${foreignCores.toFixed(1)} cores` : ''}${result.timeout > 0 ? `, ${result.timeout} TIMEOUTS` : ''}${result.stoppedEarly === undefined ? '' : ` (stopped early: ${result.stoppedEarly})`}`,
  );
  return result;
}

/** Before a TOTP run: enough users must still have the current step unused, else wait for the next step. */
export function totpPreparation(logins: TotpLogins, progress: (line: string) => void): (expectedRequests: number) => Promise<void> {
  return async (expected) => {
    if (logins.available() >= expected) return;
    const wait = logins.msToNextStep() + 200;
    progress(`waiting ${(wait / 1000).toFixed(1)} s for the next TOTP step (${logins.available()} of ${logins.users.length} users left in this one)`);
    await sleep(wait);
  };
}

export function radgateServer(label: string, stack: BenchStack, instance: { pids(): number[]; target: LoadTarget }): Server {
  return { label, target: instance.target, gateway: new CpuMeter(() => instance.pids()), redis: new CpuMeter(() => [stack.stack.redis.pid()!]) };
}

export function workersLabel(workers: 'auto' | number): string {
  return workers === 'auto' ? `radgate, workers: auto (${availableParallelism()})` : `radgate, workers: ${workers}`;
}

export interface ScaleLevel {
  readonly codes: number;
  readonly cell: Cell;
  readonly stack: BenchStack;
  /** Its gateway, for the memory figures of the many-users level to compare with. */
  readonly instance: RadgateInstance;
  readonly bytesPerCode: number | undefined;
  readonly bytesPerUser: number | undefined;
  readonly loadSeconds: number;
}

