/**
 * What one login costs, split where issue 15 asks ("make the login path lean, measuring
 * each step"): Redis's own CPU per decide.lua call (`INFO commandstats`, usec_per_call of
 * evalsha) and this process's CPU per login (password resolution, the client's encoding and
 * parsing, the promise layers: `process.cpuUsage`), for the logins the e2e bench measures,
 * without the UDP server and codec in front (bench:e2e has those). Classes interleave
 * round by round, so a busy moment hurts them alike; each figure is a median of rounds.
 *
 *   npm run build && node dist/bench/login-cost.js   (BENCH_ROUNDS 5, BENCH_CALLS 8000, BENCH_USERS 8000)
 *
 * To compare two builds, run this from both, alternating (bench/README.md, "Design measurements").
 */
import { availableParallelism, cpus } from 'node:os';
import type { LoginAttempt } from '../src/login/login-round-trip.js';
import { loginOn } from '../harness/login.js';
import { startStack } from '../harness/stack.js';
import { enrolTokenUsers, issueEmergencyCodes, type CodeUser, type TokenUser } from './population.js';
import { CpuMeter } from './proc-stats.js';
import { currentStep, tokencodeAt } from './totp.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CALLS = Number(process.env.BENCH_CALLS ?? 8000);
const USERS = Number(process.env.BENCH_USERS ?? 8000);
/** Logins in flight at once, as a gateway's batch is. */
const IN_FLIGHT = 32;
const PERIOD_MS = 30_000;

interface LoginClass {
  readonly label: string;
  readonly expect: 'accept' | 'reject';
  /** The i-th login of a round. */
  attempt(i: number, nowMs: number): Omit<LoginAttempt, 'fingerprint' | 'client'>;
}

const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function main(): Promise<void> {
  const stack = await startStack({ redisServer: { appendfsync: 'everysec', extraArgs: ['--auto-aof-rewrite-percentage', '0'] }, policy: '  reject_delay_ms: 0\n  max_failures: 100\n' });
  try {
    const totpUsers: TokenUser[] = await enrolTokenUsers(stack.admin, 'totp-', USERS);
    const codeUsers: CodeUser[] = await issueEmergencyCodes(stack.admin, await enrolTokenUsers(stack.admin, 'code-', 500), 'emergency-tokencode');
    // As a gateway does at start: an unknown user's login reads them (store/stand-in-records.ts).
    await stack.admin.store.standInKeeper.keep();
    const { login } = loginOn(stack, { maxUsers: 1_000_000 });
    const tokencode = (user: TokenUser, nowMs: number): string => tokencodeAt(user.secret, currentStep(user.period, nowMs), user.digits);
    const classes: LoginClass[] = [
      // Each TOTP user accepts once per step: the clock moves a step before every round.
      { label: 'PIN + TOTP (accept)', expect: 'accept', attempt: (i, now) => { const user = totpUsers[i % totpUsers.length]!; return { user: user.name, password: `${user.pin}${tokencode(user, now)}` }; } },
      { label: 'PIN + emergency tokencode (accept)', expect: 'accept', attempt: (i) => { const user = codeUsers[i % codeUsers.length]!; return { user: user.name, password: `${user.pin}${user.code}` }; } },
      // One failure per user a round (the calls never exceed the users), reset by the next
      // accept: nobody nears the lockout (100), and no unlock renews the records' revisions.
      { label: 'wrong tokencode (reject)', expect: 'reject', attempt: (i, now) => { const user = totpUsers[i % totpUsers.length]!; return { user: user.name, password: `${user.pin}${String((Number(tokencode(user, now)) + 1) % 1_000_000).padStart(6, '0')}` }; } },
      { label: 'unknown user (reject)', expect: 'reject', attempt: (i) => ({ user: `nobody-${i}`, password: `123456${String(i % 1_000_000).padStart(6, '0')}` }) },
    ];
    let fingerprint = 0;
    const redisCpu = new CpuMeter(() => [stack.redis.pid()!]);
    const run = async (loginClass: LoginClass): Promise<{ redisMicros: number; redisCpuMicros: number; nodeMicros: number }> => {
      stack.clock.advance(PERIOD_MS);
      const now = stack.clock.now;
      await stack.admin.store.redis.call('CONFIG', 'RESETSTAT');
      const calls = Math.min(CALLS, totpUsers.length);
      const cpu = process.cpuUsage();
      redisCpu.start();
      // Batches of IN_FLIGHT, their decide.lua calls written together as the gateway writes
      // a batch of datagrams' (RadiusPolicy.beginBatch): one socket write per batch.
      for (let first = 0; first < calls; first += IN_FLIGHT) {
        const batch: Promise<void>[] = [];
        stack.admin.store.connection.holdWrites();
        for (let i = first; i < Math.min(calls, first + IN_FLIGHT); i++) {
          batch.push(
            login.run({ ...loginClass.attempt(i, now), fingerprint: `cost:${++fingerprint}`, client: 'bench-nas' }).then(({ outcome }) => {
              if (outcome.result !== loginClass.expect) throw new Error(`${loginClass.label}: expected ${loginClass.expect}, got ${JSON.stringify(outcome)}`);
            }),
          );
        }
        stack.admin.store.connection.releaseWrites();
        await Promise.all(batch);
      }
      const used = process.cpuUsage(cpu);
      const redisSeconds = redisCpu.stop().seconds;
      const stats = String(await stack.admin.store.redis.call('INFO', 'commandstats'));
      const redisMicros = Number(/cmdstat_evalsha:calls=\d+,usec=\d+,usec_per_call=([\d.]+)/.exec(stats)![1]);
      return { redisMicros, redisCpuMicros: (redisSeconds * 1e6) / calls, nodeMicros: (used.user + used.system) / calls };
    };
    // Warm-up: copies filled, JIT settled.
    for (const loginClass of classes) await run(loginClass);
    const results = new Map(classes.map((loginClass) => [loginClass, { redis: [] as number[], redisCpu: [] as number[], node: [] as number[] }]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const loginClass of classes) {
        const { redisMicros, redisCpuMicros, nodeMicros } = await run(loginClass);
        results.get(loginClass)!.redis.push(redisMicros);
        results.get(loginClass)!.redisCpu.push(redisCpuMicros);
        results.get(loginClass)!.node.push(nodeMicros);
      }
    }
    console.log(`Node ${process.version}, ${availableParallelism()} × ${cpus()[0]?.model ?? '?'}; ${ROUNDS} rounds × up to ${CALLS} logins per class, ${IN_FLIGHT} in flight, ${USERS} TOTP users`);
    console.log('| login | decide.lua in Redis, µs per call (commandstats) | redis-server CPU µs per login (/proc) | gateway CPU µs per login | rounds: commandstats / redis-server / gateway |');
    console.log('|---|---:|---:|---:|---|');
    const each = (values: number[]): string => values.map((v) => v.toFixed(1)).join(', ');
    for (const [loginClass, { redis, redisCpu: server, node }] of results) {
      console.log(`| ${loginClass.label} | ${median(redis).toFixed(2)} | ${median(server).toFixed(1)} | ${median(node).toFixed(1)} | ${each(redis)} / ${each(server)} / ${each(node)} |`);
    }
  } finally {
    await stack.close();
  }
}

await main();
