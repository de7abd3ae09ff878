/**
 * The performance targets, judged from the bench's cells, and the notes under the table that a
 * reader needs to trust (or distrust) the figures.
 */
import { availableParallelism } from 'node:os';
import { FOREIGN_CORES_NOTED, type Baseline, type Cell, type ScaleLevel, type Scenario, type Server } from './cells.js';
import { againstCeiling, againstFloor, formatFixed, formatInteger, median, summarize, type Row, type Target } from './report.js';

export interface TargetInputs {
  readonly radgateServers: readonly Server[];
  readonly radgateScenarios: readonly Scenario[];
  readonly freeradiusServer: Server | undefined;
  readonly freeradiusScenarios: Record<Baseline, Scenario>;
  readonly scaleLevels: readonly ScaleLevel[];
  readonly cellOf: ReadonlyMap<string, Cell>;
  readonly rowOf: (cell: Cell) => Row;
  readonly allCells: readonly Cell[];
  /** BENCH_SCALE_MAX, named when scaling was skipped. */
  readonly scaleMax: number;
}

export function evaluateTargets(inputs: TargetInputs): Target[] {
  const { radgateServers, radgateScenarios, freeradiusServer, freeradiusScenarios, scaleLevels, cellOf, rowOf, allCells, scaleMax } = inputs;
  const server = radgateServers[0]!;
  const summaryOf = (s: Server | undefined, scenario: Scenario, inFlight: number) => {
    const cell = s === undefined ? undefined : cellOf.get(`${s.label}|${scenario.label}|${inFlight}`);
    return cell === undefined || cell.samples.length === 0 ? undefined : summarize(rowOf(cell));
  };
  const targets: Target[] = [];
  const pap32 = summaryOf(freeradiusServer, freeradiusScenarios.pap, 32);
  for (const scenario of radgateScenarios.filter((s) => s.label === 'PIN + emergency tokencode' || s.label === 'PIN + TOTP')) {
    const mine = summaryOf(server, scenario, 32);
    if (mine === undefined || pap32 === undefined) {
      targets.push({ figure: `CPU per Access-Request, gateway + Redis, ${scenario.label}`, target: '≤ 1.0 × FreeRADIUS files-PAP', measured: mine === undefined ? '–' : `${formatFixed(mine.totalUs, 1)} µs`, met: undefined, margin: '' });
      continue;
    }
    const { met, margin } = againstCeiling(mine.totalUs / pap32.totalUs, 1);
    targets.push({
      figure: `CPU per Access-Request, gateway + Redis, ${scenario.label} (32 in flight)`,
      target: '≤ 1.0 × FreeRADIUS files-PAP',
      measured: `${(mine.totalUs / pap32.totalUs).toFixed(2)}× (${formatFixed(mine.gatewayUs, 1)} + ${formatFixed(mine.redisUs, 1)} = ${formatFixed(mine.totalUs, 1)} µs vs ${formatFixed(pap32.totalUs, 1)} µs)`,
      met,
      margin,
    });
  }
  for (const scenario of radgateScenarios.filter((s) => s.label === 'PIN + emergency tokencode' || s.label === 'PIN + TOTP')) {
    const mine = summaryOf(server, scenario, 32);
    if (mine === undefined || pap32 === undefined) {
      targets.push({ figure: `throughput at 32 in flight, ${scenario.label}`, target: '≥ 1.0 × FreeRADIUS', measured: mine === undefined ? '–' : `${formatInteger(mine.requestsPerSecond)} req/s`, met: undefined, margin: '' });
      continue;
    }
    const { met, margin } = againstFloor(mine.requestsPerSecond / pap32.requestsPerSecond, 1);
    targets.push({
      figure: `throughput at 32 in flight, ${scenario.label}`,
      target: '≥ 1.0 × FreeRADIUS',
      measured: `${(mine.requestsPerSecond / pap32.requestsPerSecond).toFixed(2)}× (${formatInteger(mine.requestsPerSecond)} vs ${formatInteger(pap32.requestsPerSecond)} req/s)`,
      met,
      margin,
    });
  }
  const p99s = radgateScenarios
    .map((scenario) => ({ scenario, summary: summaryOf(server, scenario, 16) }))
    .filter((entry): entry is { scenario: Scenario; summary: NonNullable<typeof entry.summary> } => entry.summary !== undefined);
  if (p99s.length > 0) {
    const worst = p99s.reduce((a, b) => (b.summary.p99 > a.summary.p99 ? b : a));
    const { met, margin } = againstCeiling(worst.summary.p99, 5);
    targets.push({
      figure: 'p99 latency at 16 in flight (worst scenario)',
      target: '≤ 5 ms',
      measured: `${formatFixed(worst.summary.p99, 2)} ms (${worst.scenario.label}); others: ${p99s.filter((e) => e !== worst).map((e) => `${formatFixed(e.summary.p99, 2)}`).join(', ')} ms`,
      met,
      margin,
    });
  } else {
    targets.push({ figure: 'p99 latency at 16 in flight', target: '≤ 5 ms', measured: '16 in flight not run', met: undefined, margin: '' });
  }
  const smallest = scaleLevels[0];
  const largest = scaleLevels[scaleLevels.length - 1];
  if (smallest !== undefined && largest !== undefined && largest !== smallest) {
    const small = summarize(rowOf(smallest.cell));
    const large = summarize(rowOf(largest.cell));
    const change = large.totalUs / small.totalUs - 1;
    targets.push({
      figure: `CPU per request at ${formatInteger(largest.codes)} issued codes vs ${formatInteger(smallest.codes)}`,
      target: 'within 10 %',
      measured: `${change >= 0 ? '+' : ''}${(change * 100).toFixed(1)} % (${formatFixed(large.totalUs, 1)} vs ${formatFixed(small.totalUs, 1)} µs)`,
      met: Math.abs(change) <= 0.1,
      margin: Math.abs(change) <= 0.1 ? '' : `${(Math.abs(change) * 100 - 10).toFixed(1)} points outside`,
    });
  } else {
    targets.push({ figure: 'CPU per request at 1M issued codes vs 1k', target: 'within 10 %', measured: `BENCH_SCALE_MAX=${scaleMax}`, met: undefined, margin: '' });
  }
  const withMemory = scaleLevels.filter((level) => level.bytesPerCode !== undefined);
  const memoryLevel = withMemory[withMemory.length - 1];
  if (memoryLevel !== undefined) {
    const { met, margin } = againstCeiling(memoryLevel.bytesPerCode!, 256);
    targets.push({
      figure: 'Redis memory per issued code',
      target: '≤ 256 bytes',
      measured: `${formatInteger(memoryLevel.bytesPerCode!)} B (used_memory over ${formatInteger(memoryLevel.codes - 1000)} codes, 10 per user)`,
      met,
      margin,
    });
    targets.push({ figure: 'Redis memory per user with a token (no target)', target: '–', measured: `${formatInteger(memoryLevel.bytesPerUser!)} B`, met: true, margin: 'informational' });
  } else {
    targets.push({ figure: 'Redis memory per issued code', target: '≤ 256 bytes', measured: 'scaling skipped', met: undefined, margin: '' });
  }
  const timeouts = allCells.reduce((total, cell) => total + cell.samples.reduce((sum, sample) => sum + sample.result.timeout, 0), 0);
  const bad = allCells.reduce((total, cell) => total + cell.samples.reduce((sum, s) => sum + s.result.unexpected + s.result.invalid + s.result.sendErrors, 0), 0);
  const requests = allCells.reduce((total, cell) => total + cell.samples.reduce((sum, sample) => sum + sample.result.sent, 0), 0);
  targets.push({
    figure: 'timeouts under every scenario',
    target: '0',
    measured: `${formatInteger(timeouts)} of ${formatInteger(requests)} requests (bad replies: ${formatInteger(bad)})`,
    met: timeouts === 0 && bad === 0,
    margin: '',
  });
  return targets;
}

export function notes(scaleLevels: readonly ScaleLevel[], cells: readonly Cell[], freeradiusServer: Server | undefined): string[] {
  const lines: string[] = ['Notes:', ''];
  for (const level of scaleLevels) {
    lines.push(
      `- ${formatInteger(level.codes)} codes: loaded in ${level.loadSeconds.toFixed(0)} s` +
        (level.bytesPerCode === undefined ? '' : `; ${formatInteger(level.bytesPerCode)} B per issued code, ${formatInteger(level.bytesPerUser!)} B per user with a token (INFO memory used_memory deltas)`) +
        '.',
    );
  }
  const early = cells.flatMap((cell) => cell.samples.filter((s) => s.result.stoppedEarly !== undefined).map(() => `${cell.scenario.label} (${cell.server.label}, ${cell.inFlight})`));
  if (early.length > 0) lines.push(`- Runs that stopped before their time or count (measured over what ran): ${early.join('; ')}.`);
  const changed = cells.filter((cell) => cell.samples.some((s) => s.processesChanged));
  if (changed.length > 0) lines.push(`- The set of server processes changed during: ${changed.map((cell) => `${cell.scenario.label} (${cell.server.label})`).join('; ')} — a worker restarted?`);
  const foreign = cells.flatMap((cell) => cell.samples.map((s) => s.foreignCores));
  const disturbed = cells.filter((cell) => cell.samples.some((s) => s.foreignCores > FOREIGN_CORES_NOTED));
  lines.push(
    `- Other work on the machine during the runs (user+system time in /proc/stat minus the servers', Redis's and the generator's; ±0.2 cores): ` +
      `median ${median(foreign).toFixed(2)} cores, at most ${Math.max(0, ...foreign).toFixed(2)}` +
      (disturbed.length === 0 ? ' — a quiet machine.' : `; ${disturbed.length} of ${cells.length} rows had a round above ${FOREIGN_CORES_NOTED} cores (their medians may be off).`),
  );
  const busy = (filter: (cell: Cell) => boolean) => Math.max(0, ...cells.filter(filter).flatMap((cell) => cell.samples.map((s) => s.result.generatorLoopUtilization)));
  const radgateBusiest = busy((cell) => cell.server !== freeradiusServer && cell.scenario.label !== 'Status-Server');
  lines.push(`- The generator's event loop was at most ${Math.round(radgateBusiest * 100)} % busy in radgate's authentication runs: there radgate, not the generator, sets the pace.`);
  if (freeradiusServer !== undefined) {
    const frBusiest = busy((cell) => cell.server === freeradiusServer);
    if (frBusiest > 0.85) {
      lines.push(
        `- Against FreeRADIUS the generator's event loop was up to ${Math.round(frBusiest * 100)} % busy: on ${availableParallelism()} cores shared with the server, ` +
          `the generator (mostly the kernel's loopback send path) is near its limit, so FreeRADIUS's req/s is a lower bound and the req/s ratios flatter radgate. ` +
          'CPU per request is not affected: it is read from the server processes.',
      );
    }
  }
  return lines;
}
