/**
 * Where radgate's CPU goes on the PIN + TOTP path: runs `radgate serve` (workers: 1) under
 * `node --cpu-prof`, drives it with the bench's generator, stops it (the profile is
 * written at exit) and prints the functions with the most self time, and the files.
 *
 *   npm run build && node dist/bench/profile.js
 *
 * BENCH_PROFILE_SCENARIO (totp | tokencode | passcode | wrong; default totp),
 * BENCH_PROFILE_REQUESTS (default 60000), BENCH_IN_FLIGHT (first value, default 32),
 * BENCH_RESULTS (default bench/results/profile-<scenario>.md; "" for none).
 * The top of the table is what to make cheaper first.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { runLoad, type Workload } from './load-generator.js';
import { enrolTokenUsers, issueEmergencyCodes } from './population.js';
import { CodeLogins, TotpLogins, WrongTokencodes } from './scenarios.js';
import { startBenchStack } from './stack.js';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface SelfTime {
  readonly name: string;
  readonly location: string;
  readonly micros: number;
}

const ROOT = `file://${resolve(process.cwd())}/`;

function shortLocation(url: string, line: number): string {
  if (url === '') return '';
  return `${url.replace(ROOT, '').replace('file://', '')}:${line + 1}`;
}

/**
 * Self time per function (summed over every node of the same function and line): the
 * time between a sample and the next one is charged to the sample's leaf function.
 */
export function selfTimes(profile: CpuProfile): { functions: SelfTime[]; files: SelfTime[]; busyMicros: number; idleMicros: number } {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const byFunction = new Map<string, SelfTime>();
  const byFile = new Map<string, SelfTime>();
  let busyMicros = 0;
  let idleMicros = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const node = nodes.get(profile.samples[i]!);
    const micros = profile.timeDeltas[i + 1] ?? 0;
    if (node === undefined) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') {
      idleMicros += micros;
      continue;
    }
    busyMicros += micros;
    const name = functionName === '' ? '(anonymous)' : functionName;
    const location = shortLocation(url, lineNumber);
    const key = `${name}@${location}`;
    const entry = byFunction.get(key);
    byFunction.set(key, { name, location, micros: (entry?.micros ?? 0) + micros });
    const file = url === '' ? name : url.replace(ROOT, '').replace('file://', '');
    const fileEntry = byFile.get(file);
    byFile.set(file, { name: file, location: '', micros: (fileEntry?.micros ?? 0) + micros });
  }
  const order = (entries: Iterable<SelfTime>) => [...entries].sort((a, b) => b.micros - a.micros);
  return { functions: order(byFunction.values()), files: order(byFile.values()), busyMicros, idleMicros };
}

async function main(): Promise<void> {
  const scenario = process.env.BENCH_PROFILE_SCENARIO ?? 'totp';
  const requests = Number(process.env.BENCH_PROFILE_REQUESTS ?? 60_000);
  const inFlight = Number((process.env.BENCH_IN_FLIGHT ?? '32').split(',')[0]);
  const results = process.env.BENCH_RESULTS ?? resolve(process.cwd(), `bench/results/profile-${scenario}.md`);
  const profileDir = mkdtempSync(join(tmpdir(), 'radgate-bench-cpuprofile-'));
  const stack = await startBenchStack('profile', { });
  try {
    process.stderr.write(`[profile] enrolling users for ${scenario}\n`);
    let workload: Workload;
    if (scenario === 'totp') workload = new TotpLogins(await enrolTokenUsers(stack.admin, 'totp-', requests));
    else if (scenario === 'wrong') workload = new WrongTokencodes(await enrolTokenUsers(stack.admin, 'wrong-', Math.ceil(requests / 99) + 1), 99, 1);
    else if (scenario === 'tokencode' || scenario === 'passcode') {
      const users = await enrolTokenUsers(stack.admin, 'code-', 1000);
      workload = new CodeLogins(await issueEmergencyCodes(stack.admin, users, scenario === 'tokencode' ? 'emergency-tokencode' : 'emergency-passcode'), scenario === 'tokencode');
    } else throw new Error(`BENCH_PROFILE_SCENARIO must be totp, tokencode, passcode or wrong, not ${scenario}`);

    const radgate = await stack.startRadgate('radgate-profiled', 1, ['--cpu-prof', '--cpu-prof-dir', profileDir]);
    process.stderr.write(`[profile] ${requests} requests, ${inFlight} in flight\n`);
    const result = await runLoad({ target: radgate.target, workload, inFlight, maxRequests: requests, timeoutMs: 2000 });
    await radgate.stop();
    const file = readdirSync(profileDir).find((name) => name.endsWith('.cpuprofile'));
    if (file === undefined) throw new Error('radgate wrote no .cpuprofile (did it exit cleanly on SIGTERM?)');
    const { functions, files, busyMicros, idleMicros } = selfTimes(JSON.parse(readFileSync(join(profileDir, file), 'utf8')) as CpuProfile);
    const share = (micros: number) => `${((micros * 100) / busyMicros).toFixed(1)} %`;
    const lines = [
      `## Where radgate's CPU goes: ${scenario}, workers: 1, ${inFlight} in flight`,
      '',
      `\`node dist/bench/profile.js\` — ${result.sent.toLocaleString('en-US')} requests at ${Math.round(result.requestsPerSecond).toLocaleString('en-US')} req/s ` +
        `(accept ${result.accept}, reject ${result.reject}, timeouts ${result.timeout}); profile of the whole radgate process (start-up included): ` +
        `${(busyMicros / 1e6).toFixed(2)} s busy, ${(idleMicros / 1e6).toFixed(2)} s idle. Shares are of the busy time.`,
      '',
      '| # | self | function | where |',
      '|---:|---:|---|---|',
      ...functions.slice(0, 15).map((entry, i) => `| ${i + 1} | ${share(entry.micros)} | \`${entry.name}\` | ${entry.location} |`),
      '',
      '| self | file (or category) |',
      '|---:|---|',
      ...files.slice(0, 12).map((entry) => `| ${share(entry.micros)} | ${entry.name} |`),
    ];
    const report = lines.join('\n');
    process.stdout.write(`${report}\n`);
    if (results !== '') {
      mkdirSync(dirname(results), { recursive: true });
      writeFileSync(results, `${report}\n`);
    }
  } finally {
    await stack.close();
    if (process.env.BENCH_KEEP_PROFILE === undefined) rmSync(profileDir, { recursive: true, force: true });
    else process.stderr.write(`[profile] kept ${profileDir}\n`);
  }
}

if (process.argv[1] !== undefined && import.meta.url === `file://${resolve(process.argv[1])}`) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}
