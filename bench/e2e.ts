/**
 * End-to-end benchmark: radgate as it runs in production — `radgate serve` in
 * its own process(es), a real redis-server with AOF — against FreeRADIUS 3.2 answering
 * files-PAP on the same machine, driven by the same closed-loop generator, in one run.
 *
 *   npm run bench:e2e        build, then node dist/bench/e2e.js (prints one markdown
 *                            report, also written to bench/results/e2e-latest.md)
 *   npm run bench:smoke      build, then node dist/bench/e2e.js --smoke (correctness only;
 *                            --json prints the checks as data, BENCH_SMOKE_REQUESTS sets their size)
 *
 * Knobs (environment): BENCH_ROUNDS (3), BENCH_SECONDS (5), BENCH_MAX_REQUESTS (60000
 * per run), BENCH_WARMUP_SECONDS (1.5), BENCH_IN_FLIGHT ("32,16"), BENCH_WORKERS
 * ("auto,1"; the first is the configuration the targets are judged on), BENCH_SCALE_MAX
 * (1000000; 100000 skips the million-code and the million-user loads, 0 skips scaling),
 * BENCH_SCALE_WORKERS (1), BENCH_SCALE_USERS (1000000: the many-users level, run when
 * ≤ BENCH_SCALE_MAX; 0 skips it), BENCH_USERS_LOAD_SECONDS (300) and BENCH_USERS_RSS_MB
 * (8192), the bounds on its gateway's start-up, BENCH_TOTP_USERS (100000), BENCH_FREERADIUS
 * (1; 0 skips both FreeRADIUS baselines, files-PAP and + rlm_redis), BENCH_TIMEOUT_MS
 * (2000), BENCH_LOG_LEVEL (radgate's log.level, warn; info adds an audit line per decision),
 * BENCH_RADSEC_CONNECTIONS (4: TLS connections of the RadSec rows), BENCH_RESULTS (output
 * file; "" to write none).
 *
 * How a number is made: each run ends after BENCH_SECONDS or BENCH_MAX_REQUESTS requests,
 * whichever comes first (≥ 5 s or ≥ 50,000 requests keeps the 10 ms /proc tick below 2 %
 * of a figure); CPU is utime+stime of every server process from /proc over the run,
 * divided by the requests answered. Rounds interleave every server and scenario, so a noisy
 * moment hurts radgate and FreeRADIUS alike; the table shows the median round.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg, release } from 'node:os';
import { dirname, resolve } from 'node:path';
import { startBaselines, type BaselineKind, type FreeradiusBaseline } from './baselines.js';
import { measure, radgateServer, totpPreparation, workersLabel, type Cell, type Scenario, type Server } from './cells.js';
import { enrolTokenUsers, issueEmergencyCodes, unlockUsers, type TokenUser } from './population.js';
import { describeMachine } from './proc-stats.js';
import { comparisonTable, formatInteger, resultsTable, targetsTable, type Row } from './report.js';
import { startCodeLevels } from './scale.js';
import { CodeLogins, StatusChecks, TotpLogins, WrongTokencodes } from './scenarios.js';
import { radsecVersusUdpTable } from './radsec-report.js';
import { makeBenchRadsec, RADSEC_SECRET } from './radsec-setup.js';
import { runSmoke } from './smoke.js';
import { TEST_SECRET } from '../harness/packets.js';
import { startBenchStack, type BenchStack } from './stack.js';
import { evaluateTargets, notes } from './targets.js';
import { startUserLevel } from './user-scale.js';

// --- options --------------------------------------------------------------------------

function numberFrom(name: string, fallback: number, minimum = 0): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < minimum) throw new Error(`${name} must be a number ≥ ${minimum}, not "${text}"`);
  return value;
}

function listFrom(name: string, fallback: string): string[] {
  return (process.env[name] ?? fallback).split(',').map((item) => item.trim()).filter((item) => item !== '');
}

const options = {
  rounds: numberFrom('BENCH_ROUNDS', 3, 1),
  seconds: numberFrom('BENCH_SECONDS', 5, 0.1),
  maxRequests: numberFrom('BENCH_MAX_REQUESTS', 60_000, 1),
  warmupSeconds: numberFrom('BENCH_WARMUP_SECONDS', 1.5, 0),
  inFlight: listFrom('BENCH_IN_FLIGHT', '32,16').map(Number),
  workers: listFrom('BENCH_WORKERS', 'auto,1').map((text): 'auto' | number => (text === 'auto' ? 'auto' : Number(text))),
  scaleMax: numberFrom('BENCH_SCALE_MAX', 1_000_000, 0),
  scaleWorkers: numberFrom('BENCH_SCALE_WORKERS', 1, 1),
  /** The many-users level: this many users with a token and as many codes, all copied into its gateway. */
  scaleUsers: ((users) => {
    if (users !== 0 && users < 2000) throw new Error(`BENCH_SCALE_USERS must be 0 or ≥ 2000 (1,000 of them log in), not ${users}`);
    return users;
  })(numberFrom('BENCH_SCALE_USERS', 1_000_000, 0)),
  usersLoadSeconds: numberFrom('BENCH_USERS_LOAD_SECONDS', 300, 1),
  usersRssMb: numberFrom('BENCH_USERS_RSS_MB', 8192, 64),
  totpUsers: numberFrom('BENCH_TOTP_USERS', 100_000, 100),
  /** TLS connections the RadSec rows' generator spreads its in-flight requests over. */
  radsecConnections: numberFrom('BENCH_RADSEC_CONNECTIONS', 4, 1),
  freeradius: process.env.BENCH_FREERADIUS !== '0',
  timeoutMs: numberFrom('BENCH_TIMEOUT_MS', 2000, 100),
  results: process.env.BENCH_RESULTS ?? resolve(process.cwd(), 'bench/results/e2e-latest.md'),
  /** radgate's log.level: warn writes nothing per request; info adds the audit line per decision (production's default). */
  logLevel: process.env.BENCH_LOG_LEVEL ?? 'warn',
};

const progress = (line: string): void => void process.stderr.write(`[bench] ${line}\n`);

function versionOf(command: string, args: string[], pattern: RegExp): string {
  try {
    return pattern.exec(execFileSync(command, args, { encoding: 'utf8' }))?.[1] ?? 'unknown';
  } catch {
    return 'not installed';
  }
}

// --- the full run ---------------------------------------------------------------------
async function runFull(): Promise<void> {
  const startedAt = new Date();
  const machine = describeMachine();
  // Other work on the machine skews every figure: say how busy it was when we started.
  const loadAtStart = loadavg()[0]!;
  const stacks: BenchStack[] = [];
  let baselines: FreeradiusBaseline[] = [];
  try {
    // Main stack: the scenario users, and one radgate per `workers` setting on the same Redis.
    progress(`main stack: enrolling ${formatInteger(options.totpUsers)} TOTP users and the other scenarios' users through CredentialService`);
    const main = await startBenchStack('main', { logLevel: options.logLevel });
    stacks.push(main);
    const enrolStarted = Date.now();
    const totpUsers = await enrolTokenUsers(main.admin, 'totp-', options.totpUsers);
    progress(`  ${formatInteger(totpUsers.length)} TOTP users in ${((Date.now() - enrolStarted) / 1000).toFixed(1)} s`);
    const codeUsers = await enrolTokenUsers(main.admin, 'code-', 1000);
    const tokencodeUsers = await issueEmergencyCodes(main.admin, codeUsers.slice(0, 500), 'emergency-tokencode');
    const passcodeUsers = await issueEmergencyCodes(main.admin, codeUsers.slice(500), 'emergency-passcode');
    // Enough users that 99 failures each (the lockout is at 100) cover any run's request cap.
    const wrongUsers: TokenUser[] = await enrolTokenUsers(main.admin, 'wrong-', Math.max(100, Math.ceil(options.maxRequests / 99) + 1));

    const totp = new TotpLogins(totpUsers);
    const wrong = new WrongTokencodes(wrongUsers, 99, 1);
    const radgateScenarios: Scenario[] = [
      { label: 'PIN + TOTP', workload: totp, baseline: 'pap', prepare: totpPreparation(totp, progress) },
      { label: 'PIN + emergency tokencode', workload: new CodeLogins(tokencodeUsers, true), baseline: 'pap' },
      { label: 'emergency passcode', workload: new CodeLogins(passcodeUsers, false), baseline: 'pap' },
      {
        label: 'wrong tokencode (reject)',
        workload: wrong,
        baseline: 'pap-wrong',
        prepare: async () => {
          await unlockUsers(main.admin, wrongUsers);
          wrong.reset();
        },
      },
      { label: 'Status-Server', workload: new StatusChecks(), baseline: 'status' },
    ];

    // Each gateway also listens for RADIUS over TLS: its RadSec rows (the two login
    // scenarios) are the same process and Redis as its UDP rows, so CPU compares directly.
    const radsec = makeBenchRadsec(main.stack.directory);
    const radsecTarget = { secret: RADSEC_SECRET, requireReplyMessageAuthenticator: true, tls: { connections: options.radsecConnections, options: radsec.tls } };
    const radsecScenarios = radgateScenarios.filter((scenario) => scenario.label === 'PIN + TOTP' || scenario.label === 'PIN + emergency tokencode');
    const workerSettings = options.workers;
    const radgateServers: Server[] = [];
    const radsecServers: Server[] = [];
    for (const workers of workerSettings) {
      const instance = await main.startRadgate(`radgate-workers-${workers}`, workers, undefined, { section: radsec.section, target: radsecTarget });
      radgateServers.push(radgateServer(workersLabel(workers), main, instance));
      radsecServers.push(radgateServer(`${workersLabel(workers)}, RadSec (${options.radsecConnections} TLS connections)`, main, { pids: () => instance.pids(), target: instance.radsecTarget! }));
    }

    // FreeRADIUS: files-PAP, and + rlm_redis (one Redis round trip per request).
    const started = await startBaselines({ secret: TEST_SECRET, enabled: options.freeradius, progress });
    baselines = started.baselines;

    // Scaling: the tokencode scenario on Redis holding 1k, 100k and 1M issued codes, and on
    // one holding 1M users (all copied into its gateway) — one stack each, so their rounds
    // can be interleaved like the rest.
    const scale = { scaleMax: options.scaleMax, workers: options.scaleWorkers, logLevel: options.logLevel, progress };
    const scaleLevels = await startCodeLevels(scale, stacks);
    const userLevel =
      options.scaleUsers > 0 && options.scaleUsers <= options.scaleMax
        ? await startUserLevel({ ...scale, users: options.scaleUsers, loadBoundSeconds: options.usersLoadSeconds, rssBoundBytes: options.usersRssMb * 2 ** 20 }, stacks, scaleLevels[0]?.instance)
        : undefined;
    if (userLevel === undefined) progress(`no many-users level: BENCH_SCALE_USERS=${options.scaleUsers} is 0 or above BENCH_SCALE_MAX=${options.scaleMax}`);

    // The cells, in the order they run in each round. Consecutive TOTP runs are spread
    // apart (every other scenario runs in between) so one 30-s step rarely has to serve two.
    const cells: Cell[] = [];
    const cellOf = new Map<string, Cell>();
    const keyOf = (server: Server, scenario: Scenario, inFlight: number): string => `${server.label}|${scenario.label}|${inFlight}`;
    const addCell = (server: Server, scenario: Scenario, inFlight: number): void => {
      const cell: Cell = { server, scenario, inFlight, samples: [], bestRate: 0 };
      cells.push(cell);
      cellOf.set(keyOf(server, scenario, inFlight), cell);
    };
    for (const inFlight of options.inFlight) {
      for (const server of radgateServers) for (const scenario of radgateScenarios) addCell(server, scenario, inFlight);
      for (const server of radsecServers) for (const scenario of radsecScenarios) addCell(server, scenario, inFlight);
      for (const baseline of baselines) for (const scenario of Object.values(baseline.scenarios)) addCell(baseline.server, scenario, inFlight);
    }
    const scaleCells = [...scaleLevels.map((level) => level.cell), ...(userLevel?.cell === undefined ? [] : [userLevel.cell])];
    const allCells = [...cells, ...scaleCells];

    progress(`warm-up: ${options.warmupSeconds} s per server and scenario`);
    const warmed = new Set<string>();
    for (const cell of allCells) {
      const key = `${cell.server.label}|${cell.scenario.label}`;
      if (warmed.has(key) || options.warmupSeconds === 0) continue;
      warmed.add(key);
      await measure(cell, { record: false, seconds: options.warmupSeconds, maxRequests: options.maxRequests, timeoutMs: options.timeoutMs, progress });
    }
    for (let round = 1; round <= options.rounds; round++) {
      progress(`round ${round} of ${options.rounds}`);
      for (const cell of allCells) await measure(cell, { record: true, seconds: options.seconds, maxRequests: options.maxRequests, timeoutMs: options.timeoutMs, progress });
    }

    // --- report ---------------------------------------------------------------------
    const gatewayRss = new Map<Server, number>();
    const redisRss = new Map<Server, number>();
    for (const cell of allCells) {
      gatewayRss.set(cell.server, cell.server.gateway.peakRss());
      redisRss.set(cell.server, cell.server.redis?.peakRss() ?? 0);
    }
    const baselineServers = new Set(baselines.map((baseline) => baseline.server));
    /** The cell of a baseline's scenario matching `cell` (accept, reject or Status-Server), unless `cell` is that baseline's own. */
    const baselineCell = (kind: BaselineKind, cell: Cell): Cell | undefined => {
      const baseline = baselines.find((candidate) => candidate.kind === kind);
      if (baseline === undefined || cell.server === baseline.server || (kind === 'redis' && baselineServers.has(cell.server))) return undefined;
      return cellOf.get(keyOf(baseline.server, baseline.scenarios[cell.scenario.baseline], cell.inFlight));
    };
    const rows = new Map<Cell, Row>();
    const rowOf = (cell: Cell): Row => {
      let row = rows.get(cell);
      if (row === undefined) {
        const files = baselineCell('files', cell);
        const redis = baselineCell('redis', cell);
        row = {
          scenario: cell.scenario.label,
          server: cell.server.label,
          inFlight: cell.inFlight,
          baselines: { files: files === undefined ? undefined : rowOf(files), redis: redis === undefined ? undefined : rowOf(redis) },
          samples: cell.samples,
          gatewayRssBytes: gatewayRss.get(cell.server) ?? 0,
          redisRssBytes: redisRss.get(cell.server) ?? 0,
        };
        rows.set(cell, row);
      }
      return row;
    };
    // Table order: scenario by scenario, each with its servers and in-flight counts, then
    // FreeRADIUS files-PAP, FreeRADIUS + rlm_redis, then scaling.
    const ordered: Row[] = [];
    const radsecPairs: { udp: Row; radsec: Row }[] = [];
    for (const scenario of radgateScenarios) {
      for (const server of radgateServers) for (const inFlight of options.inFlight) ordered.push(rowOf(cellOf.get(keyOf(server, scenario, inFlight))!));
      if (!radsecScenarios.includes(scenario)) continue;
      radgateServers.forEach((udpServer, i) => {
        for (const inFlight of options.inFlight) {
          const pair = { udp: rowOf(cellOf.get(keyOf(udpServer, scenario, inFlight))!), radsec: rowOf(cellOf.get(keyOf(radsecServers[i]!, scenario, inFlight))!) };
          ordered.push(pair.radsec);
          radsecPairs.push(pair);
        }
      });
    }
    for (const baseline of baselines) for (const scenario of Object.values(baseline.scenarios)) for (const inFlight of options.inFlight) ordered.push(rowOf(cellOf.get(keyOf(baseline.server, scenario, inFlight))!));
    for (const cell of scaleCells) ordered.push(rowOf(cell));

    const targets = evaluateTargets({ radgateServers, radgateScenarios, baselines, scaleLevels, userLevel, rowOf, cellOf: (server, scenario, inFlight) => cellOf.get(keyOf(server, scenario, inFlight)), allCells, scaleMax: options.scaleMax, scaleUsers: options.scaleUsers });
    const redisVersion = versionOf('redis-server', ['--version'], /v=([\d.]+)/);
    // Others commit while benches run: name the code that was measured.
    const commit = versionOf('git', ['describe', '--always', '--dirty'], /^(\S+)/);
    const frText =
      baselines.length === 0 ? 'FreeRADIUS not run' : `FreeRADIUS ${started.version} (${baselines.map((b) => (b.kind === 'files' ? 'files PAP' : '+ rlm_redis, one HGET per request')).join('; ')}; threaded)`;
    const lines = [
      '## radgate end-to-end benchmark',
      '',
      `Command: \`npm run bench:e2e\` · code: ${commit} · date: ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC · machine: ${machine.cores} × ${machine.cpuModel}, ` +
        `Linux ${release()}, Node ${machine.node} · redis-server ${redisVersion} (AOF, fsync every second, TCP on 127.0.0.1) · ` +
        `${frText} · load average ${loadAtStart.toFixed(2)} before the bench started · ` +
        `radgate log.level ${options.logLevel} · wall time ${((Date.now() - startedAt.getTime()) / 60_000).toFixed(1)} min`,
      '',
      `Each figure is the median of ${options.rounds} rounds; a run lasts ${options.seconds} s or ${formatInteger(options.maxRequests)} requests, whichever comes first, ` +
        `after a ${options.warmupSeconds} s warm-up per server and scenario. Every request has a fresh Request Authenticator and a Message-Authenticator; ` +
        `every reply's Response Authenticator is verified (and its Message-Authenticator, always present in radgate's replies). ` +
        `CPU is utime+stime from /proc of all server processes (radgate's primary and workers and its redis-server; freeradius, and for + rlm_redis its own redis-server) per answered request; ` +
        `"÷ FR files" compares with FreeRADIUS's files-PAP row and "÷ FR+redis" with FreeRADIUS + rlm_redis at the same in-flight count (accept, reject or Status-Server to match). ` +
        `Counts (accept / reject / challenge, timeouts, bad replies = unexpected code or failed verification) are totals over the rounds. ` +
        `The generator column is the load generator's own CPU per request and how busy its event loop was (100 % would make it the bottleneck); ` +
        `it shares the ${machine.cores} cores with the servers.`,
      '',
      resultsTable(ordered),
      '',
      '### Against both FreeRADIUS rows (32 in flight; CPU per request incl. Redis, and req/s)',
      '',
      comparisonTable(ordered),
      '',
      `### RadSec ÷ UDP (issue 16): the same gateway over RADIUS/TLS, ${options.radsecConnections} connections (RFC 6614 framing, secret radsec, certificate from src/certs), CPU per login incl. Redis`,
      '',
      radsecVersusUdpTable(radsecPairs),
      '',
      `### Targets (issue 15): ${workersLabel(workerSettings[0]!)} against FreeRADIUS files-PAP and FreeRADIUS + rlm_redis, same run, same generator`,
      '',
      targetsTable(targets),
      '',
      ...notes({ scaleLevels, userLevel, cells: allCells, freeradiusServers: baselineServers }),
    ];
    const report = lines.join('\n');
    process.stdout.write(`${report}\n`);
    if (options.results !== '') {
      mkdirSync(dirname(options.results), { recursive: true });
      writeFileSync(options.results, `${report}\n`);
      progress(`written to ${options.results}`);
    }
  } finally {
    progress('stopping servers');
    for (const baseline of baselines) await baseline.stop();
    for (const stack of stacks.reverse()) await stack.close();
  }
}

// --- smoke ----------------------------------------------------------------------------

async function smokeMain(): Promise<void> {
  const started = Date.now();
  const checks = await runSmoke({ log: progress, ...(process.env.BENCH_SMOKE_REQUESTS === undefined ? {} : { requests: numberFrom('BENCH_SMOKE_REQUESTS', 400, 1) }) });
  if (process.argv.includes('--json')) {
    // For test/bench/smoke.test.ts: every check, as data.
    process.stdout.write(`${JSON.stringify(checks.map(({ scenario, server, expected, result, problems }) => ({ scenario, server, expected, result, problems })))}\n`);
    if (checks.some((check) => check.problems.length > 0)) process.exitCode = 1;
    return;
  }
  const lines = ['| server | scenario | accept / reject / challenge | timeouts | bad replies | result |', '|---|---|---:|---:|---:|---|'];
  for (const check of checks) {
    const r = check.result;
    lines.push(
      `| ${check.server} | ${check.scenario} | ${r.accept} / ${r.reject} / ${r.challenge} | ${r.timeout} | ${r.unexpected + r.invalid + r.sendErrors} | ${check.problems.length === 0 ? 'ok' : check.problems.join('; ')} |`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  const failed = checks.filter((check) => check.problems.length > 0);
  progress(`smoke: ${checks.length - failed.length} of ${checks.length} scenarios exact, in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (failed.length > 0) process.exitCode = 1;
}

const main = process.argv.includes('--smoke') ? smokeMain : runFull;
main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
