/**
 * Child processes the bench starts (radgate, freeradius, redis-server) must never outlive
 * it, whatever way it ends: normal exit, an exception, Ctrl-C, or a SIGKILL (an ava
 * timeout, an impatient user). An exit hook covers the first three; for the last, each
 * server gets a tiny watchdog shell holding a pipe from us: when our end closes — which
 * the kernel does however we die — its `read` returns and it stops the server.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const guarded = new Map<number, ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Synchronous by nature: SIGTERM now; the watchdogs follow up with SIGKILL.
  process.on('exit', () => {
    for (const pid of guarded.keys()) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // Already gone.
      }
    }
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1)));
  }
}

/**
 * Watches `pid` (a process we started): SIGTERM when this process goes away, SIGKILL 5 s
 * later if it is still there. The watchdog ignores the terminal's signals so that a
 * Ctrl-C reaching the whole process group does not kill it before it has done its job.
 * Returns a function that retires the watchdog once the server has been stopped normally.
 */
export function watchPid(pid: number): () => void {
  installExitHook();
  const script = `trap '' INT TERM HUP; read _; kill -TERM ${pid} 2>/dev/null; sleep 5; kill -KILL ${pid} 2>/dev/null`;
  const watchdog = spawn('/bin/sh', ['-c', script], { stdio: ['pipe', 'ignore', 'ignore'] });
  // Neither the watchdog nor its pipe may keep our event loop alive.
  watchdog.unref();
  (watchdog.stdin as unknown as { _handle?: { unref(): void } })._handle?.unref();
  watchdog.stdin?.on('error', () => {});
  return () => {
    if (watchdog.exitCode === null && watchdog.signalCode === null) watchdog.kill('SIGKILL');
  };
}

export interface ServerProcess {
  readonly pid: number;
  readonly child: ChildProcess;
  /** The last lines it wrote (stdout and stderr), for error messages. */
  output(): string[];
  readonly exited: Promise<void>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
}

const OUTPUT_LINES_KEPT = 30;

/**
 * Starts a server process under a watchdog. Its stdout and stderr go to `logFile` when one
 * is given — a server logging a line per request then costs the bench nothing — and are
 * otherwise kept in memory, last lines only.
 */
export function startServerProcess(command: string, args: readonly string[], options: SpawnOptions & { logFile?: string } = {}): ServerProcess {
  const { logFile, ...spawnOptions } = options;
  const logFd = logFile === undefined ? undefined : openSync(logFile, 'a');
  const child = spawn(command, args, { ...spawnOptions, stdio: ['ignore', logFd ?? 'pipe', logFd ?? 'pipe'] });
  if (logFd !== undefined) closeSync(logFd);
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  const pid = child.pid;
  guarded.set(pid, child);
  const retireWatchdog = watchPid(pid);
  const kept: string[] = [];
  const keep = (line: string) => {
    kept.push(line);
    if (kept.length > OUTPUT_LINES_KEPT) kept.shift();
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
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      guarded.delete(pid);
      retireWatchdog();
      resolve();
    });
  });
  return {
    pid,
    child,
    output,
    exited,
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * A UDP port on 127.0.0.1 that was free a moment ago. A server started with an explicit
 * port (radgate's cluster workers, FreeRADIUS) needs one; the small race with another
 * process is acceptable for a benchmark, which fails loudly if the bind fails.
 */
export async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => resolve());
  });
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
