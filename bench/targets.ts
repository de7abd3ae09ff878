/**
 * The performance targets, judged from the bench's cells, and the notes under the table that a
 * reader needs to trust (or distrust) the figures.
 */
import { availableParallelism } from 'node:os';
import type { BaselineKind, FreeradiusBaseline } from './baselines.js';
import { FOREIGN_CORES_NOTED, type Cell, type ScaleLevel, type Scenario, type Server } from './cells.js';
import { againstCeiling, againstFloor, formatFixed, formatInteger, median, summarize, type Row, type Summary, type Target } from './report.js';
import type { CopyLoad, UserScaleLevel } from './user-scale.js';

export interface TargetInputs {
  readonly radgateServers: readonly Server[];
  readonly radgateScenarios: readonly Scenario[];
  readonly baselines: readonly FreeradiusBaseline[];
  readonly scaleLevels: readonly ScaleLevel[];
  readonly userLevel: UserScaleLevel | undefined;
  readonly cellOf: (server: Server, scenario: Scenario, inFlight: number) => Cell | undefined;
  readonly rowOf: (cell: Cell) => Row;
  readonly allCells: readonly Cell[];
  /** BENCH_SCALE_MAX and BENCH_SCALE_USERS, named when a level was skipped. */
  readonly scaleMax: number;
  readonly scaleUsers: number;
}

const BASELINE_NAMES: Record<BaselineKind, string> = { files: 'FreeRADIUS files-PAP', redis: 'FreeRADIUS + rlm_redis' };
const LOGINS = ['PIN + TOTP', 'PIN + emergency tokencode'];
const unmeasured = (figure: string, target: string, measured: string): Target => ({ figure, target, measured, met: undefined, margin: '' });

/** "+4.2 % (180.1 vs 172.8 µs)", within ±10 % or not. */
function withinTenPercent(figure: string, large: Summary, small: Summary): Target {
  const change = large.totalUs / small.totalUs - 1;
  const met = Math.abs(change) <= 0.1;
  return {
    figure,
    target: 'within 10 %',
    measured: `${change >= 0 ? '+' : ''}${(change * 100).toFixed(1)} % (${formatFixed(large.totalUs, 1)} vs ${formatFixed(small.totalUs, 1)} µs)`,
    met,
    margin: met ? '' : `${(Math.abs(change) * 100 - 10).toFixed(1)} points outside`,
  };
}

/** Issue 15's targets, each judged on the first `workers` setting at 32 in flight (p99: 16) unless it says otherwise. */
export function evaluateTargets(inputs: TargetInputs): Target[] {
  const { radgateServers, radgateScenarios, baselines, scaleLevels, userLevel, cellOf, rowOf, allCells, scaleMax, scaleUsers } = inputs;
  const server = radgateServers[0]!;
  const summaryOf = (s: Server, scenario: Scenario, inFlight: number): Summary | undefined => {
    const cell = cellOf(s, scenario, inFlight);
    return cell === undefined || cell.samples.length === 0 ? undefined : summarize(rowOf(cell));
  };
  const baselineSummary = (kind: BaselineKind): Summary | undefined => {
    const baseline = baselines.find((candidate) => candidate.kind === kind);
    return baseline === undefined ? undefined : summaryOf(baseline.server, baseline.scenarios.pap, 32);
  };
  const logins = radgateScenarios.filter((s) => LOGINS.includes(s.label));
  const targets: Target[] = [];

  // CPU per login, gateway + its Redis, against each FreeRADIUS (whose CPU includes its Redis).
  for (const [kind, limit] of [['redis', 0.7], ['files', 1.8]] as const) {
    const base = baselineSummary(kind);
    for (const scenario of logins) {
      const figure = `CPU per login incl. Redis, ${scenario.label} (32 in flight)`;
      const target = `≤ ${limit} × ${BASELINE_NAMES[kind]}`;
      const mine = summaryOf(server, scenario, 32);
      if (mine === undefined || base === undefined) {
        targets.push(unmeasured(figure, target, mine === undefined ? '–' : `${formatFixed(mine.totalUs, 1)} µs; ${BASELINE_NAMES[kind]} not run`));
        continue;
      }
      const share = mine.totalUs / base.totalUs;
      const baseText = base.redisUs > 0 ? `${formatFixed(base.gatewayUs, 1)} + ${formatFixed(base.redisUs, 1)} = ${formatFixed(base.totalUs, 1)}` : formatFixed(base.totalUs, 1);
      targets.push({
        figure,
        target,
        measured: `${share.toFixed(2)}× (${formatFixed(mine.gatewayUs, 1)} + ${formatFixed(mine.redisUs, 1)} = ${formatFixed(mine.totalUs, 1)} µs vs ${baseText} µs)`,
        ...againstCeiling(share, limit),
      });
    }
  }
  const redisBase = baselineSummary('redis');
  for (const scenario of logins) {
    const figure = `throughput at 32 in flight, ${scenario.label}`;
    const target = `≥ 1.2 × ${BASELINE_NAMES.redis}`;
    const mine = summaryOf(server, scenario, 32);
    if (mine === undefined || redisBase === undefined) {
      targets.push(unmeasured(figure, target, mine === undefined ? '–' : `${formatInteger(mine.requestsPerSecond)} req/s; ${BASELINE_NAMES.redis} not run`));
      continue;
    }
    const share = mine.requestsPerSecond / redisBase.requestsPerSecond;
    targets.push({ figure, target, measured: `${share.toFixed(2)}× (${formatInteger(mine.requestsPerSecond)} vs ${formatInteger(redisBase.requestsPerSecond)} req/s)`, ...againstFloor(share, 1.2) });
  }

  const p99s = radgateScenarios.flatMap((scenario) => {
    const summary = summaryOf(server, scenario, 16);
    return summary === undefined ? [] : [{ scenario, summary }];
  });
  if (p99s.length > 0) {
    const worst = p99s.reduce((a, b) => (b.summary.p99 > a.summary.p99 ? b : a));
    targets.push({
      figure: 'p99 latency at 16 in flight (worst scenario)',
      target: '≤ 5 ms',
      measured: `${formatFixed(worst.summary.p99, 2)} ms (${worst.scenario.label}); others: ${p99s.filter((e) => e !== worst).map((e) => `${formatFixed(e.summary.p99, 2)}`).join(', ')} ms`,
      ...againstCeiling(worst.summary.p99, 5),
    });
  } else {
    targets.push(unmeasured('p99 latency at 16 in flight', '≤ 5 ms', '16 in flight not run'));
  }

  targets.push(...userCopyTargets(userLevel, scaleUsers, scaleMax));
  const smallest = scaleLevels[0];
  const userCell = userLevel?.cell;
  const usersFigure = `CPU per login (PIN + emergency tokencode) with ${formatInteger(userLevel?.users ?? scaleUsers)} users and codes vs 1,000`;
  if (smallest !== undefined && userCell !== undefined && userCell.samples.length > 0) {
    targets.push(withinTenPercent(usersFigure, summarize(rowOf(userCell)), summarize(rowOf(smallest.cell))));
  } else {
    targets.push(unmeasured(usersFigure, 'within 10 %', userLevel === undefined ? `BENCH_SCALE_USERS=${scaleUsers}, BENCH_SCALE_MAX=${scaleMax}` : `no gateway to measure (${userLevel.load.outcome})`));
  }
  const largest = scaleLevels[scaleLevels.length - 1];
  if (smallest !== undefined && largest !== undefined && largest !== smallest) {
    targets.push(withinTenPercent(`CPU per login at ${formatInteger(largest.codes)} issued codes vs ${formatInteger(smallest.codes)} (issue 13)`, summarize(rowOf(largest.cell)), summarize(rowOf(smallest.cell))));
  } else {
    targets.push(unmeasured('CPU per login at 1M issued codes vs 1k (issue 13)', 'within 10 %', `BENCH_SCALE_MAX=${scaleMax}`));
  }
  const withMemory = scaleLevels.filter((level) => level.bytesPerCode !== undefined);
  const memoryLevel = withMemory[withMemory.length - 1];
  if (memoryLevel !== undefined) {
    targets.push({
      figure: 'Redis memory per issued code (issue 13)',
      target: '≤ 256 bytes',
      measured: `${formatInteger(memoryLevel.bytesPerCode!)} B (used_memory over ${formatInteger(memoryLevel.codes - 1000)} codes, 10 per user)`,
      ...againstCeiling(memoryLevel.bytesPerCode!, 256),
    });
    targets.push({ figure: 'Redis memory per user with a token (no target)', target: '–', measured: `${formatInteger(memoryLevel.bytesPerUser!)} B`, met: true, margin: 'informational' });
  } else {
    targets.push(unmeasured('Redis memory per issued code (issue 13)', '≤ 256 bytes', 'scaling skipped'));
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

/** Why the copies were not all made, as a margin. */
const UNFINISHED: Record<CopyLoad['outcome'], string> = {
  loaded: '',
  'load bound': 'stopped at BENCH_USERS_LOAD_SECONDS',
  'memory bound': 'stopped at BENCH_USERS_RSS_MB',
  exited: 'the gateway died',
};

/** The user-copy targets, from the many-users level's gateway (workers: BENCH_SCALE_WORKERS). */
function userCopyTargets(level: UserScaleLevel | undefined, scaleUsers: number, scaleMax: number): Target[] {
  const figures = ['bytes per user copy', 'peak RSS of a gateway holding the users', 'users copied from start'];
  const limits = ['≤ 200 B', '≤ 400 MB (at 1M users)', '≤ 30 s (at 1M users)'];
  if (level === undefined) return figures.map((figure, i) => unmeasured(figure, limits[i]!, `BENCH_SCALE_USERS=${scaleUsers}, BENCH_SCALE_MAX=${scaleMax}`));
  const { load, users } = level;
  const all = load.outcome === 'loaded';
  const held = `${formatInteger(load.copies)} of ${formatInteger(users)} users`;
  // The RSS and time limits are for 1M users; another count is shown, not judged.
  const judged = users === 1_000_000;
  const unjudged = judged ? '' : ` (the limit is for 1,000,000 users)`;
  const perCopy: Target =
    load.perCopy === undefined
      ? unmeasured(figures[0]!, limits[0]!, `no loaded gateway to read (${load.outcome})`)
      : {
          figure: figures[0]!,
          target: limits[0]!,
          measured: `${formatInteger(load.perCopy.rssBytes)} B RSS, ${formatInteger(load.perCopy.heapBytes)} B heap (growth over the 1,000-user gateway, ${held})`,
          ...againstCeiling(load.perCopy.rssBytes, 200),
        };
  const rssJudgement = againstCeiling(load.peakRssBytes / 2 ** 20, 400);
  const rss: Target = {
    figure: figures[1]!,
    target: limits[1]!,
    measured: `${formatInteger(load.peakRssBytes / 2 ** 20)} MB peak (VmHWM), ${load.rssBytes === undefined ? 'gone' : `${formatInteger(load.rssBytes / 2 ** 20)} MB`} once loaded; ${held} (${load.outcome})${unjudged}`,
    met: judged ? rssJudgement.met : undefined,
    margin: judged ? rssJudgement.margin : '',
  };
  const time = againstCeiling(load.seconds, 30);
  const seconds: Target = {
    figure: figures[2]!,
    target: limits[2]!,
    measured: `${load.seconds.toFixed(1)} s: ${held} (${load.outcome})${unjudged}`,
    met: !judged ? undefined : all && time.met,
    margin: !judged ? '' : all ? time.margin : UNFINISHED[load.outcome],
  };
  return [perCopy, rss, seconds];
}

export interface NoteInputs {
  readonly scaleLevels: readonly ScaleLevel[];
  readonly userLevel: UserScaleLevel | undefined;
  readonly cells: readonly Cell[];
  readonly freeradiusServers: ReadonlySet<Server>;
}

export function notes(inputs: NoteInputs): string[] {
  const { scaleLevels, userLevel, cells, freeradiusServers } = inputs;
  const lines: string[] = ['Notes:', ''];
  for (const level of scaleLevels) {
    lines.push(
      `- ${formatInteger(level.codes)} codes: loaded in ${level.loadSeconds.toFixed(0)} s` +
        (level.bytesPerCode === undefined ? '' : `; ${formatInteger(level.bytesPerCode)} B per issued code, ${formatInteger(level.bytesPerUser!)} B per user with a token (INFO memory used_memory deltas)`) +
        '.',
    );
  }
  if (userLevel !== undefined) lines.push(...userLevelNotes(userLevel));
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
  const radgateBusiest = busy((cell) => !freeradiusServers.has(cell.server) && cell.scenario.label !== 'Status-Server');
  lines.push(`- The generator's event loop was at most ${Math.round(radgateBusiest * 100)} % busy in radgate's authentication runs: there radgate, not the generator, sets the pace.`);
  if (freeradiusServers.size > 0) {
    const frBusiest = busy((cell) => freeradiusServers.has(cell.server));
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

function userLevelNotes(level: UserScaleLevel): string[] {
  const { load } = level;
  const lines = [
    `- ${formatInteger(level.users)} users with a token and ${formatInteger(level.codes)} codes: written to Redis in ${level.populateSeconds.toFixed(0)} s ` +
      `(${formatInteger(level.redisBytesPerUser)} B of used_memory per filler user with its one code); its gateway (user_cache.max_users ≥ the users) ` +
      `copied ${formatInteger(load.copies)} users in ${load.seconds.toFixed(1)} s from \`radgate serve\` started (radgate_user_copies on /metrics), peak RSS ${formatInteger(load.peakRssBytes / 2 ** 20)} MB.`,
  ];
  if (load.pageRetries > 0) {
    lines.push(`- The many-users gateway copied ${formatInteger(load.pageRetries)} pages of records again after a Redis command timed out (login/user-copy-sync.ts retries them): part of its load time.`);
  }
  if (load.outcome === 'load bound') lines.push(`- The many-users gateway had not copied every user by BENCH_USERS_LOAD_SECONDS: its CPU figure is with ${formatInteger(load.copies)} copies, the rest read per login.`);
  if (load.outcome === 'memory bound') lines.push('- The many-users gateway passed BENCH_USERS_RSS_MB while copying and was stopped: no CPU figure at that many users.');
  if (load.outcome === 'exited') lines.push('- The many-users gateway exited while copying (out of heap?): no CPU figure at that many users.');
  return lines;
}
