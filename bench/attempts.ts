/**
 * What recording a login attempt costs Redis (issue 14: "the per-login cost of writing them
 * is in the benchmark table"). decide.lua pushes each decision to the user's attempts list
 * (LPUSH, LTRIM, PEXPIRE); a DecideRequest without `attempt` records nothing, so the same
 * script, on the same Redis and users, runs with and without it, interleaved. The figure is
 * Redis's own CPU per decide.lua call (`INFO commandstats`, usec_per_call of evalsha),
 * which is where the extra work lands; the gateway's side is one JSON.stringify.
 *
 *   npm run build && node dist/bench/attempts.js     (BENCH_ROUNDS, BENCH_CALLS, BENCH_USERS)
 */
import { availableParallelism, cpus } from 'node:os';
import type { NasContext } from '../src/credentials/login-attempt.js';
import type { DecideRequest } from '../src/store/decide/decide-script.js';
import { OPERATOR, startStack } from '../harness/stack.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CALLS = Number(process.env.BENCH_CALLS ?? 5000);
const USERS = Number(process.env.BENCH_USERS ?? 200);
/** Calls in flight, as a gateway's batch of logins is. */
const IN_FLIGHT = 32;

const FROM: NasContext = { client: 'vpn-east', nasAddress: '192.0.2.7', nasIdentifier: 'asa-east-1', callingStationId: '203.0.113.54', nasPort: 4711 };

async function main(): Promise<void> {
  const stack = await startStack({ redisServer: { appendfsync: 'everysec' }, policy: '  reject_delay_ms: 0\n  max_failures: 100\n' });
  try {
    const { admin } = stack;
    const names: string[] = [];
    for (let i = 0; i < USERS; i++) {
      names.push(`bench${i}`);
      await admin.service.addUser(`bench${i}`, '4821', OPERATOR);
      await admin.service.assignToken(`bench${i}`, { type: 'totp' }, OPERATOR);
    }
    const revisions = await admin.store.repository.loadSnapshots(names);
    let step = 1;
    let fingerprint = 0;
    // A PIN + tokencode accept (a new TOTP step each time, so never a replay), the common login.
    const request = (user: string, attempt: NasContext | undefined): DecideRequest => ({
      user, fingerprint: `bench:${++fingerprint}`, now: Date.now(), outcomeTtlMs: 30_000, maxFailures: 100, lockoutMs: 0, fallbackReason: 'bad-code',
      lostTokenPolicy: 'deny', temporaryBypass: false, presentedState: undefined, client: FROM.client, revision: revisions.get(user)!.revision,
      challengeRevision: undefined, candidates: [{ kind: 'token', step: ++step }], attempt,
    });
    const run = async (attempt: NasContext | undefined): Promise<number> => {
      await admin.store.redis.call('CONFIG', 'RESETSTAT');
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < CALLS) {
          const user = names[next++ % names.length]!;
          const result = await admin.store.decider.decide(request(user, attempt));
          if (result.kind !== 'decided' || result.outcome.result !== 'accept') throw new Error(`expected an accept, got ${JSON.stringify(result)}`);
        }
      };
      await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
      const stats = String(await admin.store.redis.call('INFO', 'commandstats'));
      return Number(/cmdstat_evalsha:calls=\d+,usec=\d+,usec_per_call=([\d.]+)/.exec(stats)![1]);
    };
    await run(FROM);
    await run(undefined);
    const withAttempts: number[] = [];
    const without: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      without.push(await run(undefined));
      withAttempts.push(await run(FROM));
    }
    const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    const a = median(without);
    const b = median(withAttempts);
    console.log(`Node ${process.version}, ${availableParallelism()} × ${cpus()[0]?.model ?? '?'}; ${ROUNDS} rounds × ${CALLS} decide.lua calls (PIN + TOTP accepts, ${IN_FLIGHT} in flight, ${USERS} users)`);
    console.log('| decide.lua | Redis µs per call (median) | rounds |');
    console.log('|---|---:|---|');
    console.log(`| without recording the attempt | ${a.toFixed(2)} | ${without.map((v) => v.toFixed(2)).join(', ')} |`);
    console.log(`| recording the attempt (LPUSH, LTRIM, PEXPIRE) | ${b.toFixed(2)} | ${withAttempts.map((v) => v.toFixed(2)).join(', ')} |`);
    console.log(`| difference | ${(b - a).toFixed(2)} (${(((b - a) / a) * 100).toFixed(1)} %) | |`);
  } finally {
    await stack.close();
  }
}

await main();
