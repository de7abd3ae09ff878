/**
 * Timing side channel check (SPEC "Resolving a password", step 1):
 * an unknown user, a wrong PIN and a wrong code must take the same time within noise,
 * or response times would tell an attacker which user names exist and when a PIN guess
 * was right.
 *
 *   npm run timing                      # build, then node dist/bench/reliability/timing.js
 *   TIMING_SAMPLES=5000 node dist/bench/reliability/timing.js
 *
 * Against `radgate serve` (a subprocess) on a real redis-server, reject delay 0. The
 * classes are interleaved in random order, one request at a time (no queueing), after a
 * warm-up. Two password shapes are measured, because the shape decides which code paths
 * run: PIN + 8-character code (the emergency tokencode every user here has) and PIN + 6
 * digits (the TOTP token every user here has). For each shape: unknown user, wrong PIN,
 * and right PIN with a wrong code / tokencode. Two clocks: the gateway's own handling
 * time (the audit line's latency_ms, 10 µs resolution) and the NAS's round trip.
 *
 * Each pair is compared with a two-sided Mann-Whitney U test, its common-language effect
 * size, and a bootstrap 95% interval for the difference of medians. "Within noise" means
 * p ≥ 0.01 / (number of pairs) (Bonferroni).
 */
import { generateCode } from '../../src/credentials/codes/alphabet.js';
import { PacketCode } from '../../src/protocol/index.js';
import { openNas } from '../../harness/nas.js';
import { exitOnSignals } from '../../harness/processes.js';
import { OPERATOR, startStack } from '../../harness/stack.js';
import { until } from '../../harness/until.js';
import { bootstrapMedianDifference, mannWhitney, quantile, sorted } from './statistics.js';

const SAMPLES = Number(process.env.TIMING_SAMPLES ?? 3000);
const WARM_UP = 500;
/** The default reject delay is 1 s: TIMING_REJECT_DELAY_MS=1000 measures what a NAS sees in production. */
const REJECT_DELAY_MS = Number(process.env.TIMING_REJECT_DELAY_MS ?? 0);
/** Requests in flight at once; 1 (no queueing) unless a reject delay makes that too slow. */
const CONCURRENCY = Number(process.env.TIMING_CONCURRENCY ?? (REJECT_DELAY_MS > 0 ? 100 : 1));
// Each user takes about 2/3 failures of its share of the requests, never reset by a success:
// enough users keep everyone well under max_failures (100), so no lockout changes the path.
const USERS = Math.max(200, Math.ceil(((SAMPLES * 6 + WARM_UP) * 4) / 6 / 80));

type ClassName = 'unknown user' | 'wrong PIN' | 'wrong code' | 'wrong tokencode';
interface Sample {
  readonly shape: 'PIN+8 code' | 'PIN+6 digits';
  readonly name: ClassName;
  readonly expectedReason: string;
  roundTripMs: number;
  serverMs: number;
  /** A random 6-digit tail that happened to be the valid tokencode (about 3 in a million). */
  excluded?: boolean;
}

const digits = (n: number): string => Array.from({ length: n }, () => Math.floor(Math.random() * 10)).join('');

async function main(): Promise<void> {
  exitOnSignals();
  const stack = await startStack({ policy: `  reject_delay_ms: ${REJECT_DELAY_MS}\n  max_failures: 100\n  lockout_seconds: 60\n`, redisServer: { appendfsync: 'everysec' }, captureLevel: 'warn' });
  try {
    const users: { name: string; pin: string }[] = [];
    for (let i = 0; i < USERS; i++) {
      const name = `timing-user-${String(i).padStart(4, '0')}`;
      const pin = String(1000 + ((i * 7919) % 9000));
      await stack.admin.service.addUser(name, pin, OPERATOR);
      await stack.admin.service.assignToken(name, {}, OPERATOR);
      await stack.admin.service.issueCodes(name, { kind: 'emergency-tokencode' }, OPERATOR);
      users.push({ name, pin });
    }
    const serve = await stack.startServe();
    const decisions: { user: string; reason: string; latency: number }[] = [];
    serve.onLine((_line, json) => {
      if (json?.event === 'decision') decisions.push({ user: json.user as string, reason: json.reason as string, latency: json.latency_ms as number });
    });
    const nas = await openNas({ port: serve.port, sockets: 1, retransmitMs: 2000 + REJECT_DELAY_MS, transmissions: 1 });

    let next = 0;
    const request = (sample: Sample): { userName: string; password: string } => {
      const user = users[next++ % users.length]!;
      const wrongPin = String(1000 + ((Number(user.pin) - 1000 + 1 + Math.floor(Math.random() * 8998)) % 9000));
      const tail = sample.shape === 'PIN+8 code' ? generateCode('unambiguous', 8) : digits(6);
      switch (sample.name) {
        case 'unknown user':
          return { userName: `timing-nope-${digits(4)}`, password: `${digits(4)}${tail}` };
        case 'wrong PIN':
          return { userName: user.name, password: `${wrongPin}${tail}` };
        default:
          return { userName: user.name, password: `${user.pin}${tail}` };
      }
    };
    const classes: Omit<Sample, 'roundTripMs' | 'serverMs'>[] = [
      { shape: 'PIN+8 code', name: 'unknown user', expectedReason: 'unknown-user' },
      { shape: 'PIN+8 code', name: 'wrong PIN', expectedReason: 'bad-pin' },
      { shape: 'PIN+8 code', name: 'wrong code', expectedReason: 'bad-code' },
      { shape: 'PIN+6 digits', name: 'unknown user', expectedReason: 'unknown-user' },
      { shape: 'PIN+6 digits', name: 'wrong PIN', expectedReason: 'bad-pin' },
      { shape: 'PIN+6 digits', name: 'wrong tokencode', expectedReason: 'bad-code' },
    ];
    const plan: Sample[] = [];
    for (let i = 0; i < SAMPLES; i++) for (const kind of classes) plan.push({ ...kind, roundTripMs: 0, serverMs: 0 });
    for (let i = plan.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [plan[i], plan[j]] = [plan[j]!, plan[i]!];
    }
    const warmUp = Array.from({ length: WARM_UP }, (_, i) => ({ ...classes[i % classes.length]!, roundTripMs: 0, serverMs: 0 }));
    const all = [...warmUp, ...plan];
    process.stderr.write(`${all.length} requests (${WARM_UP} warm-up), ${CONCURRENCY === 1 ? 'one at a time' : `${CONCURRENCY} at a time`}, reject delay ${REJECT_DELAY_MS} ms…\n`);
    const started = Date.now();
    let taken = 0;
    const worker = async () => {
      while (taken < all.length) {
        const sample = all[taken++]!;
        const exchange = await nas.send({ kind: 'access', ...request(sample) });
        if (exchange.reply?.code === PacketCode.AccessAccept && sample.name === 'wrong tokencode') {
          sample.excluded = true;
          continue;
        }
        if (exchange.reply?.code !== PacketCode.AccessReject) throw new Error(`expected Access-Reject for ${sample.name}, got ${exchange.reply?.code ?? 'no reply'}`);
        sample.roundTripMs = exchange.reply.roundTripMs;
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    // The decision lines come over a pipe, the replies over UDP: wait until every line is in.
    await until('every decision line is read', 5000, () => decisions.length >= all.length).catch(() => undefined);
    await nas.close();
    if (decisions.length !== all.length) throw new Error(`expected ${all.length} decision lines, got ${decisions.length}`);
    // One at a time, the n-th decision line is the n-th request's; with several in flight
    // the lines cannot be matched to requests, and only the round trip is reported.
    const serverClock = CONCURRENCY === 1;
    if (serverClock) {
      all.forEach((sample, i) => {
        const decision = decisions[i]!;
        if (sample.excluded === true) return;
        if (decision.reason !== sample.expectedReason) throw new Error(`request ${i} (${sample.name}) was decided ${decision.reason}, not ${sample.expectedReason}`);
        sample.serverMs = decision.latency;
      });
    }
    const elapsed = (Date.now() - started) / 1000;

    const lines: string[] = [
      `# radgate timing: unknown user vs wrong PIN vs wrong code`,
      '',
      `${SAMPLES} samples per class, ${classes.length} classes interleaved at random, ${CONCURRENCY === 1 ? 'one request at a time' : `${CONCURRENCY} requests at a time`} (${elapsed.toFixed(0)} s), after ${WARM_UP} warm-up requests;`,
      `Node ${process.version}, ${USERS} users each with a PIN, a TOTP token and one 8-character emergency tokencode; reject delay ${REJECT_DELAY_MS} ms.`,
      '',
    ];
    const pairs: [Sample['shape'], ClassName, ClassName][] = [
      ['PIN+8 code', 'unknown user', 'wrong PIN'],
      ['PIN+8 code', 'wrong PIN', 'wrong code'],
      ['PIN+8 code', 'unknown user', 'wrong code'],
      ['PIN+6 digits', 'unknown user', 'wrong PIN'],
      ['PIN+6 digits', 'wrong PIN', 'wrong tokencode'],
      ['PIN+6 digits', 'unknown user', 'wrong tokencode'],
    ];
    const alpha = 0.01 / pairs.length;
    for (const clock of serverClock ? (['server', 'round trip'] as const) : (['round trip'] as const)) {
      const valueOf = (sample: Sample) => (clock === 'server' ? sample.serverMs : sample.roundTripMs);
      const of = (shape: Sample['shape'], name: ClassName) => plan.filter((s) => s.shape === shape && s.name === name && s.excluded !== true).map(valueOf);
      lines.push(`## ${clock === 'server' ? "Gateway handling time (audit latency_ms)" : 'NAS round trip'}`, '');
      lines.push('| password shape | class | median µs | p90 µs | mean µs |', '|---|---|---:|---:|---:|');
      for (const kind of classes) {
        const values = sorted(of(kind.shape, kind.name));
        const mean = values.reduce((sum, v) => sum + v, 0) / values.length;
        lines.push(`| ${kind.shape} | ${kind.name} | ${(quantile(values, 0.5) * 1000).toFixed(0)} | ${(quantile(values, 0.9) * 1000).toFixed(0)} | ${(mean * 1000).toFixed(0)} |`);
      }
      lines.push('', '| password shape | A vs B | median A − B, µs (95% CI) | P(A > B) | Mann-Whitney p | verdict |', '|---|---|---|---:|---:|---|');
      for (const [shape, a, b] of pairs) {
        const first = of(shape, a);
        const second = of(shape, b);
        const test = mannWhitney(first, second);
        const ci = bootstrapMedianDifference(first, second);
        const difference = quantile(sorted(first), 0.5) - quantile(sorted(second), 0.5);
        // Which class is slower: by the medians, or, when the clock's resolution makes them
        // equal, by which one tends to be larger.
        const aSlower = difference !== 0 ? difference > 0 : test.probabilityGreater > 0.5;
        const verdict = test.p >= alpha ? 'within noise' : `DIFFERENT (${aSlower ? a : b} slower)`;
        lines.push(
          `| ${shape} | ${a} vs ${b} | ${(difference * 1000).toFixed(1)} (${(ci.low * 1000).toFixed(1)} … ${(ci.high * 1000).toFixed(1)}) | ${test.probabilityGreater.toFixed(3)} | ${test.p < 1e-15 ? '< 1e-15' : test.p < 1e-4 ? test.p.toExponential(1) : test.p.toFixed(4)} | ${verdict} |`,
        );
      }
      lines.push('');
    }
    lines.push(`"within noise": two-sided Mann-Whitney p ≥ ${alpha.toFixed(4)} (0.01 over ${pairs.length} pairs). P(A > B) = 0.5 means neither class tends to be slower.`);
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await stack.close();
  }
}

await main();
