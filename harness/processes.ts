/**
 * Server processes the tests and benchmarks start (radgate serve, redis sentinels,
 * FreeRADIUS, radsecproxy): guarded so that none outlives the run, whatever way it ends
 * (src/child-guard.ts), with their last output kept for error messages.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { guardChild } from '../src/child-guard.js';

export interface ServerProcess {
  readonly pid: number;
  readonly child: ChildProcess;
  /** The last lines it wrote (stdout and stderr), for error messages. */
  output(): string[];
  /** Resolves with the exit code (null after a signal) once it has exited. */
  readonly exited: Promise<number | null>;
  hasExited(): boolean;
  /** Sends `signal` (SIGTERM), then SIGKILL after `graceMs`; resolves with the exit code once it has exited. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | null>;
}

const OUTPUT_LINES_KEPT = 200;

/**
 * Starts a server process. Its stdout and stderr go to `logFile` when one is given (a
 * server logging a line per request then costs the caller nothing) and are otherwise read
 * here: `onLine` sees every line, and the last ones are kept.
 */
export function startServerProcess(
  command: string,
  args: readonly string[],
  options: SpawnOptions & { readonly logFile?: string; readonly onLine?: (line: string) => void } = {},
): ServerProcess {
  const { logFile, onLine, ...spawnOptions } = options;
  const logFd = logFile === undefined ? undefined : openSync(logFile, 'a');
  const child = spawn(command, args, { ...spawnOptions, stdio: ['ignore', logFd ?? 'pipe', logFd ?? 'pipe'] });
  if (logFd !== undefined) closeSync(logFd);
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  const pid = child.pid;
  guardChild(child);
  const kept: string[] = [];
  const keep = (line: string) => {
    kept.push(line);
    if (kept.length > OUTPUT_LINES_KEPT) kept.shift();
    onLine?.(line);
  };
  for (const stream of [child.stdout, child.stderr]) {
    if (stream !== null) createInterface({ input: stream, crlfDelay: Infinity }).on('line', keep);
  }
  const output = (): string[] => {
    if (logFile === undefined) return [...kept];
    try {
      return readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-OUTPUT_LINES_KEPT);
    } catch {
      return [];
    }
  };
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const hasExited = (): boolean => child.exitCode !== null || child.signalCode !== null;
  return {
    pid,
    child,
    output,
    exited,
    hasExited,
    async stop(signal = 'SIGTERM', graceMs = 10_000) {
      if (hasExited()) return child.exitCode;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/**
 * For scripts run from a terminal (benchmarks, soak): Ctrl-C and kill end the process
 * through process.exit, so the exit hooks stop every server it started.
 */
export function exitOnSignals(): void {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1)));
  }
}
