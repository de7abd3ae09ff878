/**
 * The scaling stacks of the end-to-end bench: the PIN + emergency tokencode scenario on a
 * Redis of its own holding 1,000, 100,000 and 1,000,000 issued codes (the 1,000 login
 * users' tokencodes, and above that filler users with a token and 10 one-time codes each),
 * with Redis memory per code and per user from `INFO memory` deltas. The many-users stack
 * (1M users and 1M codes, all copied into the gateway) is in user-scale.ts.
 */
import { radgateServer, workersLabel, type ScaleLevel, type Scenario } from './cells.js';
import { bulkCreateTokenUsers, bulkIssueCodes, enrolTokenUsers, issueEmergencyCodes, redisUsedMemory, type CodeUser } from './population.js';
import { formatInteger } from './report.js';
import { CodeLogins } from './scenarios.js';
import { startBenchStack, type BenchStack } from './stack.js';

export interface ScaleSettings {
  /** BENCH_SCALE_MAX: levels above it are skipped. */
  readonly scaleMax: number;
  /** BENCH_SCALE_WORKERS. */
  readonly workers: number;
  readonly logLevel: string;
  readonly progress: (line: string) => void;
}

/** The login users every scaling stack has: 1,000, each with one multi-use emergency tokencode. */
export const SCALE_LOGIN_USERS = 1000;

export async function scaleLoginUsers(stack: BenchStack): Promise<CodeUser[]> {
  return issueEmergencyCodes(stack.admin, await enrolTokenUsers(stack.admin, 'login-', SCALE_LOGIN_USERS), 'emergency-tokencode');
}

export function tokencodeScenario(label: string, users: readonly CodeUser[]): Scenario {
  return { label: `PIN + emergency tokencode, ${label}`, workload: new CodeLogins(users, true), baseline: 'pap' };
}

/** Starts one stack per level up to BENCH_SCALE_MAX; each is pushed to `stacks` as soon as it runs, so it is stopped whatever happens next. */
export async function startCodeLevels(settings: ScaleSettings, stacks: BenchStack[]): Promise<ScaleLevel[]> {
  const { progress } = settings;
  const levels: ScaleLevel[] = [];
  for (const codes of [1_000, 100_000, 1_000_000].filter((level) => level <= settings.scaleMax)) {
    const loadStarted = Date.now();
    progress(`scale stack: ${formatInteger(codes)} issued codes`);
    const stack = await startBenchStack(`scale-${codes}`, { logLevel: settings.logLevel });
    stacks.push(stack);
    const loginUsers = await scaleLoginUsers(stack);
    // Filler users with a token and a set of 10 one-time codes each, loaded in bulk;
    // used_memory is read around each step for the memory figures.
    const fillerUsers = (codes - SCALE_LOGIN_USERS) / 10;
    let bytesPerUser: number | undefined;
    let bytesPerCode: number | undefined;
    if (fillerUsers > 0) {
      const before = await redisUsedMemory(stack.admin);
      const names = await bulkCreateTokenUsers(stack.admin, 'filler-', fillerUsers);
      const withUsers = await redisUsedMemory(stack.admin);
      const issued = await bulkIssueCodes(stack.admin, names, 10);
      const withCodes = await redisUsedMemory(stack.admin);
      bytesPerUser = (withUsers - before) / fillerUsers;
      bytesPerCode = (withCodes - withUsers) / issued;
    }
    const loadSeconds = (Date.now() - loadStarted) / 1000;
    progress(
      `  loaded in ${loadSeconds.toFixed(1)} s` +
        (bytesPerCode === undefined ? '' : `: ${formatInteger(bytesPerUser!)} B per user with a token, ${formatInteger(bytesPerCode)} B per issued code`),
    );
    const instance = await stack.startRadgate(`radgate-scale-${codes}`, settings.workers);
    const server = radgateServer(`${workersLabel(settings.workers)}, a Redis of its own`, stack, instance);
    const scenario = tokencodeScenario(`${formatInteger(codes)} codes`, loginUsers);
    levels.push({ codes, stack, instance, bytesPerCode, bytesPerUser, loadSeconds, cell: { server, scenario, inFlight: 32, samples: [], bestRate: 0 } });
  }
  return levels;
}
