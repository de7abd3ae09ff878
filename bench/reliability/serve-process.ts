/**
 * `radgate serve` as a subprocess (the built binary, as an admin runs it), for the tests
 * and scripts that need its own memory, its own signals and its exit code: the Redis
 * freeze, gateway restarts, the soak and the timing script.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** The repository root, from dist/bench/reliability/ (compiled) three levels up. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const RADGATE_BIN = `${REPO_ROOT}dist/src/cli/main.js`;

export interface ServeProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** The RADIUS port (every worker binds the same one). */
  readonly port: number;
  /** Every line printed so far (stdout and stderr), unless `keepLines` was false. */
  readonly lines: string[];
  /** Resolves with the exit code once the process has exited. */
  readonly exited: Promise<number | null>;
  /** Called with each stdout line, parsed when it is JSON (pino). */
  onLine(listener: (line: string, json: Record<string, unknown> | undefined) => void): void;
  /** Resident memory of the process and its children (cluster workers), in bytes. */
  rssBytes(): number;
  /** Sends the signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface ServeOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Keep every output line in `lines` (default true; the soak turns it off). */
  readonly keepLines?: boolean;
  /** How long start-up may take (default 15 s). */
  readonly startTimeoutMs?: number;
}

export function startServeProcess(configPath: string, options: ServeOptions = {}): Promise<ServeProcess> {
  const child = spawn(process.execPath, [RADGATE_BIN, 'serve', '--config', configPath], {
    env: { ...process.env, ...options.env },
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const listeners: ((line: string, json: Record<string, unknown> | undefined) => void)[] = [];
  const keep = options.keepLines ?? true;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  createInterface({ input: child.stderr! }).on('line', (line) => keep && lines.push(line));
  return new Promise((resolve, reject) => {
    let port: number | undefined;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`radgate serve did not start:\n${lines.join('\n')}`));
    }, options.startTimeoutMs ?? 15_000);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`radgate serve exited during start-up (code ${code}):\n${lines.join('\n')}`));
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (keep) lines.push(line);
      let json: Record<string, unknown> | undefined;
      if (line.startsWith('{')) {
        try {
          json = JSON.parse(line) as Record<string, unknown>;
        } catch {
          json = undefined;
        }
      }
      for (const listener of listeners) listener(line, json);
      if (json?.msg === 'listening for RADIUS') port = json.port as number;
      // Workers log from their own processes, buffered: their "listening" lines may come
      // after the primary's "ready", which carries the bound addresses itself.
      if (json?.msg === 'ready') port ??= (json.listen as { port: number }[] | undefined)?.[0]?.port;
      if (json?.msg === 'ready' && port !== undefined) {
        clearTimeout(timer);
        resolve({
          child,
          pid: child.pid!,
          port,
          lines,
          exited,
          onLine: (listener) => listeners.push(listener),
          rssBytes: () => treeRssBytes(child.pid!),
          stop: async (signal = 'SIGTERM') => {
            if (child.exitCode === null && child.signalCode === null) child.kill(signal);
            return exited;
          },
        });
      }
    });
  });
}

/** VmRSS of `pid` and all its descendants, from /proc (Linux). */
export function treeRssBytes(pid: number): number {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // Exited since it was listed.
    }
  }
  let total = 0;
  const pending = [pid];
  while (pending.length > 0) {
    const next = pending.pop()!;
    total += rssBytes(next);
    pending.push(...(children.get(next) ?? []));
  }
  return total;
}

/** VmRSS of one process in bytes (0 once it has exited). */
export function rssBytes(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match === null ? 0 : Number(match[1]) * 1024;
  } catch {
    return 0;
  }
}
