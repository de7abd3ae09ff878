/**
 * The bench's smoke run (`npm run bench:smoke`, and test/bench/smoke.test.ts in CI, which
 * runs it as a subprocess): every
 * scenario of the end-to-end bench, a few hundred requests each, against a real radgate
 * process on a real private redis-server — and FreeRADIUS too when it is installed, from
 * `files` and, with rlm_redis installed, from a redis-server of its own.
 * Correctness only: zero timeouts, every reply verified, and exactly the expected number
 * of Accepts, Rejects and Challenges. Timings belong to `npm run bench:e2e`.
 */
import { freeradiusAvailable, rlmRedisAvailable, startFreeradius, startFreeradiusWithRedis } from './freeradius.js';
import { runLoad, type RunResult, type Target, type Workload } from './load-generator.js';
import { enrolTokenUsers, issueEmergencyCodes } from './population.js';
import { CodeLogins, FixedLogin, PinOnly, StatusChecks, TotpLogins, TotpReplays, WrongTokencodes } from './scenarios.js';
import { TEST_SECRET } from '../harness/packets.js';
import { REPLY_WAIT_MS } from '../harness/patience.js';
import { withConnection, type TestRedis } from '../harness/redis.js';
import { startBenchStack } from './stack.js';

export interface SmokeCheck {
  readonly scenario: string;
  readonly server: string;
  readonly expected: { readonly accept: number; readonly reject: number; readonly challenge: number };
  readonly result: RunResult;
  /** Empty when the counts are exactly right. */
  readonly problems: readonly string[];
}

export interface SmokeOptions {
  /** Requests per scenario (default 400). */
  readonly requests?: number;
  /** Include FreeRADIUS when installed (default true). */
  readonly freeradius?: boolean;
  /** Progress lines (default: none). */
  readonly log?: (line: string) => void;
}

const IN_FLIGHT = 16;

/** HGETs the server has run (INFO commandstats), 0 before the first. */
async function hgetCalls(redis: TestRedis): Promise<number> {
  const stats = await withConnection(redis, async (client) => String(await client.call('INFO', 'commandstats')));
  return Number(/^cmdstat_hget:calls=(\d+)/m.exec(stats)?.[1] ?? 0);
}

function check(scenario: string, server: string, expected: SmokeCheck['expected'], result: RunResult, more: readonly string[] = []): SmokeCheck {
  const problems: string[] = [...more];
  for (const kind of ['accept', 'reject', 'challenge'] as const) {
    if (result[kind] !== expected[kind]) problems.push(`${kind}: expected ${expected[kind]}, got ${result[kind]}`);
  }
  for (const kind of ['timeout', 'unexpected', 'invalid', 'sendErrors'] as const) {
    if (result[kind] !== 0) problems.push(`${kind}: ${result[kind]}`);
  }
  const total = expected.accept + expected.reject + expected.challenge;
  if (result.sent !== total) problems.push(`sent ${result.sent} requests, expected ${total}${result.stoppedEarly === undefined ? '' : ` (${result.stoppedEarly})`}`);
  return { scenario, server, expected, result, problems };
}

export async function runSmoke(options: SmokeOptions = {}): Promise<SmokeCheck[]> {
  const requests = options.requests ?? 400;
  const log = options.log ?? (() => {});
  const checks: SmokeCheck[] = [];
  // Challenge on, so the PIN alone gets an Access-Challenge and all three reply kinds are checked.
  const stack = await startBenchStack('smoke', { extraYaml: 'challenge:\n  enabled: true\n' });
  try {
    log('smoke: enrolling users');
    const admin = stack.admin;
    // Each TOTP user logs in once (one per time step is all replay prevention allows).
    const totpUsers = await enrolTokenUsers(admin, 'totp-', requests);
    const codeUsers = await enrolTokenUsers(admin, 'code-', 100);
    const tokencodes = await issueEmergencyCodes(admin, codeUsers.slice(0, 50), 'emergency-tokencode');
    const passcodes = await issueEmergencyCodes(admin, codeUsers.slice(50), 'emergency-passcode');
    const wrongUsers = await enrolTokenUsers(admin, 'wrong-', 50);
    const challengeUsers = await enrolTokenUsers(admin, 'chal-', 50);

    /** Runs one scenario against one server and records whether the counts came out exactly. */
    /** With `lookups` (a counter of the server's store queries), also checks how many queries the run made. */
    const runAgainst =
      (server: string, target: Target, lookups?: () => Promise<number>) =>
      async (scenario: string, workload: Workload, expected: SmokeCheck['expected'], expectedLookups = 0) => {
        const total = expected.accept + expected.reject + expected.challenge;
        const before = await lookups?.();
        const result = await runLoad({ target, workload, inFlight: IN_FLIGHT, maxRequests: total, timeoutMs: REPLY_WAIT_MS * 2 });
        const made = lookups === undefined ? expectedLookups : (await lookups()) - before!;
        const outcome = check(scenario, server, expected, result, made === expectedLookups ? [] : [`store lookups: expected ${expectedLookups}, got ${made}`]);
        log(`smoke: ${server} ${scenario}: ${outcome.problems.length === 0 ? 'ok' : outcome.problems.join('; ')}`);
        checks.push(outcome);
      };

    log('smoke: starting radgate');
    const radgate = await stack.startRadgate('radgate', 1);
    const run = runAgainst('radgate', radgate.target);
    const totp = new TotpLogins(totpUsers);
    await run('PIN + TOTP', totp, { accept: requests, reject: 0, challenge: 0 });
    // The same codes again, with new Request Authenticators: replays, refused.
    await run('TOTP replay', new TotpReplays(totp), { accept: 0, reject: requests, challenge: 0 });
    await run('PIN + emergency tokencode', new CodeLogins(tokencodes, true), { accept: requests, reject: 0, challenge: 0 });
    await run('emergency passcode', new CodeLogins(passcodes, false), { accept: requests, reject: 0, challenge: 0 });
    await run('wrong tokencode', new WrongTokencodes(wrongUsers, 99, 1), { accept: 0, reject: requests, challenge: 0 });
    await run('PIN alone (challenge)', new PinOnly(challengeUsers), { accept: 0, reject: 0, challenge: requests });
    await run('Status-Server', new StatusChecks(), { accept: requests, reject: 0, challenge: 0 });

    if (options.freeradius !== false && freeradiusAvailable().available) {
      log('smoke: starting FreeRADIUS');
      const password = 'Correct-Horse-7';
      const freeradius = await startFreeradius({ secret: TEST_SECRET, users: [{ name: 'bench', password }] });
      try {
        const runFr = runAgainst('FreeRADIUS', freeradius.target);
        await runFr('files PAP', new FixedLogin('bench', password, 'accept'), { accept: requests, reject: 0, challenge: 0 });
        await runFr('files PAP, wrong password', new FixedLogin('bench', 'wrong-password', 'reject'), { accept: 0, reject: requests, challenge: 0 });
        await runFr('Status-Server', new StatusChecks(), { accept: requests, reject: 0, challenge: 0 });
      } finally {
        await freeradius.stop();
      }
      if (rlmRedisAvailable()) {
        log('smoke: starting FreeRADIUS + rlm_redis');
        // The password only Redis knows: an Accept proves the HGET ran, a Reject that it is compared.
        const withRedis = await startFreeradiusWithRedis({ secret: TEST_SECRET, users: [{ name: 'bench', password }] });
        try {
          // Exactly one HGET per Access-Request (none for Status-Server): the row measures one round trip.
          const runFrRedis = runAgainst('FreeRADIUS + rlm_redis', withRedis.freeradius.target, () => hgetCalls(withRedis.redis));
          await runFrRedis('PAP from Redis', new FixedLogin('bench', password, 'accept'), { accept: requests, reject: 0, challenge: 0 }, requests);
          await runFrRedis('PAP from Redis, wrong password', new FixedLogin('bench', 'wrong-password', 'reject'), { accept: 0, reject: requests, challenge: 0 }, requests);
          await runFrRedis('unknown user', new FixedLogin('nobody', password, 'reject'), { accept: 0, reject: requests, challenge: 0 }, requests);
          await runFrRedis('Status-Server', new StatusChecks(), { accept: requests, reject: 0, challenge: 0 });
        } finally {
          await withRedis.stop();
        }
      } else {
        log('smoke: rlm_redis is not installed (Debian: apt-get install freeradius-redis): no FreeRADIUS + rlm_redis checks');
      }
    }
  } finally {
    await stack.close();
  }
  return checks;
}
