/**
 * Soak: moderate load for a long time, and memory must level off.
 *
 *   npm run soak                        # build, then 10 minutes at 300 requests/s
 *   SOAK_SECONDS=60 node dist/bench/reliability/soak.js
 *   SOAK_RATE=500 SOAK_SECONDS=1800 node dist/bench/reliability/soak.js
 *
 * `radgate serve` (a subprocess, one worker, info logging as in production) on a real
 * redis-server with AOF. A NAS stand-in sends an open-loop mix at SOAK_RATE: right
 * emergency tokencodes (Accept), wrong codes for the same users (Reject) and unknown users
 * (Reject), retransmitting like a NAS (1 s, 3 transmissions). Every 10 s it samples the
 * gateway's VmRSS, redis-server's used_memory and VmRSS, and the number of keys.
 *
 * Fails (exit 1) when
 * - any request goes unanswered after its retransmissions, or gets another answer than
 *   expected;
 * - after the warm-up (the first sixth, at most 60 s), the average of the last third of
 *   the samples exceeds the average of the first third by more than SOAK_GROWTH_PERCENT
 *   (default 10) and by more than an absolute floor (gateway RSS 10 MB, Redis used_memory
 *   1 MB, keys 2000): memory that keeps growing under a steady load.
 */
import { Redis } from 'ioredis';
import { generateCode } from '../../src/credentials/codes/alphabet.js';
import { openNas, paced, replyName, tagged, type Tagged } from '../../harness/nas.js';
import { exitOnSignals } from '../../harness/processes.js';
import { rssBytes } from '../../harness/serve-process.js';
import { OPERATOR, startStack } from '../../harness/stack.js';
import { quantile, sorted } from './statistics.js';

const SECONDS = Number(process.env.SOAK_SECONDS ?? 600);
const RATE = Number(process.env.SOAK_RATE ?? 300);
const GROWTH_PERCENT = Number(process.env.SOAK_GROWTH_PERCENT ?? 10);
const SAMPLE_EVERY_MS = 10_000;
const USERS = 100;
const MB = 1024 * 1024;

interface Sample {
  readonly at: number;
  readonly gatewayRss: number;
  readonly redisUsed: number;
  readonly redisRss: number;
  readonly keys: number;
  readonly sent: number;
}

type Expected = 'accept' | 'reject';

async function main(): Promise<void> {
  exitOnSignals();
  const stack = await startStack({ policy: '  reject_delay_ms: 0\n  max_failures: 100\n  lockout_seconds: 60\n', redisServer: { appendfsync: 'everysec' }, captureLevel: 'warn' });
  let failed = false;
  try {
    const users: { name: string; password: string; pin: string }[] = [];
    for (let i = 0; i < USERS; i++) {
      const name = `soak${i}`;
      const pin = String(2000 + i);
      await stack.admin.service.addUser(name, pin, OPERATOR);
      await stack.admin.service.assignToken(name, {}, OPERATOR);
      const [code] = await stack.admin.service.issueCodes(name, { kind: 'emergency-tokencode', lifetime: '2d' }, OPERATOR);
      users.push({ name, pin, password: `${pin}${code!.code}` });
    }
    const serve = await stack.startServe({ keepLines: false });
    const redis = new Redis(stack.redis.url);
    const nas = await openNas({ port: serve.port, sockets: 8, retransmitMs: 1000, transmissions: 3 });

    let sent = 0;
    let answered = 0;
    let unexpected = 0;
    let timeouts = 0;
    let retransmitted = 0;
    const roundTrips: number[] = [];
    const problems: string[] = [];
    const settle = (exchange: Tagged<Expected>) => {
      if (exchange.transmissions > 1) retransmitted++;
      if (exchange.reply === undefined) {
        timeouts++;
        if (problems.length < 20) problems.push(`no reply after ${exchange.transmissions} transmissions (sent at ${new Date(exchange.sentAt).toISOString()})`);
        return;
      }
      answered++;
      // Keep the round-trip sample bounded: every tenth.
      if (answered % 10 === 0) roundTrips.push(exchange.reply.roundTripMs);
      if (replyName(exchange.reply.code) !== exchange.tag) {
        unexpected++;
        if (problems.length < 20) problems.push(`expected ${exchange.tag}, got ${replyName(exchange.reply.code)}`);
      }
    };
    const pending = new Set<Promise<void>>();
    const send = (i: number) => {
      sent++;
      const user = users[i % USERS]!;
      // Each user cycles through the mix, so no user piles up consecutive failures (lockout).
      const roll = (i + Math.floor(i / USERS)) % 10;
      const [spec, expected]: [{ userName: string; password: string }, Expected] =
        roll < 6 ? [{ userName: user.name, password: user.password }, 'accept'] : roll < 9 ? [{ userName: user.name, password: `${user.pin}${generateCode('unambiguous', 8)}` }, 'reject'] : [{ userName: `nobody${i % 5000}`, password: `${user.pin}${generateCode('unambiguous', 8)}` }, 'reject'];
      const promise = tagged(nas.send({ kind: 'access', ...spec }), expected).then(settle);
      pending.add(promise);
      void promise.finally(() => pending.delete(promise));
    };

    const samples: Sample[] = [];
    const started = Date.now();
    const sample = async () => {
      const info = String(await redis.info('memory'));
      const used = Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? 0);
      samples.push({ at: Date.now() - started, gatewayRss: serve.rssBytes(), redisUsed: used, redisRss: rssBytes(stack.redis.pid() ?? 0), keys: await redis.dbsize(), sent });
      const last = samples.at(-1)!;
      process.stderr.write(
        `${String(Math.round(last.at / 1000)).padStart(5)} s  sent ${String(sent).padStart(7)}  gateway RSS ${(last.gatewayRss / MB).toFixed(1)} MB  redis used ${(last.redisUsed / MB).toFixed(2)} MB, RSS ${(last.redisRss / MB).toFixed(1)} MB, ${last.keys} keys  timeouts ${timeouts}  unexpected ${unexpected}\n`,
      );
    };
    const sampler = setInterval(() => void sample(), SAMPLE_EVERY_MS);
    process.stderr.write(`soak: ${SECONDS} s at ${RATE} requests/s against radgate serve (pid ${serve.pid}) and redis-server (pid ${stack.redis.pid()})\n`);
    await paced(RATE, () => Date.now() - started >= SECONDS * 1000, send);
    clearInterval(sampler);
    await Promise.all(pending);
    if (Date.now() - started - (samples.at(-1)?.at ?? 0) > 2000) await sample();
    await nas.close();
    redis.disconnect();

    const warmUpMs = Math.min(60_000, (SECONDS * 1000) / 6);
    const steady = samples.filter((s) => s.at > warmUpMs);
    const third = Math.max(1, Math.floor(steady.length / 3));
    const average = (list: Sample[], pick: (s: Sample) => number) => list.reduce((sum, s) => sum + pick(s), 0) / list.length;
    const verdicts = (
      [
        ['gateway VmRSS', (s: Sample) => s.gatewayRss, 10 * MB, MB, 'MB'],
        ['redis used_memory', (s: Sample) => s.redisUsed, 1 * MB, MB, 'MB'],
        ['redis VmRSS', (s: Sample) => s.redisRss, 10 * MB, MB, 'MB'],
        ['redis keys', (s: Sample) => s.keys, 2000, 1, ''],
      ] as const
    ).map(([name, pick, floor, unit, suffix]) => {
      const first = average(steady.slice(0, third), pick);
      const last = average(steady.slice(-third), pick);
      const growth = ((last - first) / first) * 100;
      const grows = steady.length >= 3 && growth > GROWTH_PERCENT && last - first > floor;
      return { name, first: first / unit, last: last / unit, growth, grows, suffix };
    });
    const elapsed = (samples.at(-1)!.at / 1000).toFixed(0);
    const ordered = sorted(roundTrips);
    const lines = [
      `# radgate soak: ${SECONDS} s at ${RATE} requests/s`,
      '',
      `${sent} requests in ${elapsed} s (60% Accept, 40% Reject), Node ${process.version}; answered ${answered}, retransmitted ${retransmitted}, unanswered ${timeouts}, unexpected replies ${unexpected}.`,
      `Round trip: median ${quantile(ordered, 0.5).toFixed(2)} ms, p99 ${quantile(ordered, 0.99).toFixed(2)} ms, max ${ordered.at(-1)?.toFixed(1)} ms.`,
      '',
      `| after warm-up (${(warmUpMs / 1000).toFixed(0)} s), ${steady.length} samples | first third avg | last third avg | growth | verdict |`,
      '|---|---:|---:|---:|---|',
      ...verdicts.map((v) => `| ${v.name} | ${v.first.toFixed(v.suffix === '' ? 0 : 1)}${v.suffix === '' ? '' : ` ${v.suffix}`} | ${v.last.toFixed(v.suffix === '' ? 0 : 1)}${v.suffix === '' ? '' : ` ${v.suffix}`} | ${v.growth >= 0 ? '+' : ''}${v.growth.toFixed(1)}% | ${v.grows ? 'GROWING' : 'flat'} |`),
      '',
      '| t (s) | gateway VmRSS MB | redis used_memory MB | redis VmRSS MB | keys |',
      '|---:|---:|---:|---:|---:|',
      ...samples.map((s) => `| ${(s.at / 1000).toFixed(0)} | ${(s.gatewayRss / MB).toFixed(1)} | ${(s.redisUsed / MB).toFixed(2)} | ${(s.redisRss / MB).toFixed(1)} | ${s.keys} |`),
    ];
    if (problems.length > 0) lines.push('', 'First problems:', ...problems.map((p) => `- ${p}`));
    failed = timeouts > 0 || unexpected > 0 || verdicts.some((v) => v.grows);
    lines.push('', failed ? 'FAIL' : 'PASS');
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await stack.close();
  }
  process.exitCode = failed ? 1 : 0;
}

await main();
