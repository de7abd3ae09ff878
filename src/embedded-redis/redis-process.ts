import { spawn, type ChildProcess } from 'node:child_process';
import type { NetConnectOpts } from 'node:net';
import { join, resolve as resolvePath } from 'node:path';
import { createInterface } from 'node:readline';
import type { Logger } from 'pino';
import { guardChild } from '../child-guard.js';
import { prepareDataDir } from './data-dir.js';
import { claimDataDir, forgetSupervisor, pidFileOf, recordSupervisor } from './data-dir-claim.js';
import { RedisProcessError } from './errors.js';
import { probeServer, type Probe } from './probe.js';
import { logServerLine } from './server-log.js';

/**
 * A private `redis-server` child process: radgate's embedded default (no `redis.url`
 * configured: `radgate serve` runs its own Redis with persistence under a data
 * directory, on a unix socket in it), and the real Redis every test and benchmark starts
 * on a private port (harness/redis.ts).
 */

export type AppendFsync = 'always' | 'everysec' | 'no';

export interface RedisProcessOptions {
  /** Created (mode 0700) if missing; holds the AOF, any RDB file, redis.pid and the socket. */
  readonly dataDir: string;
  /**
   * TCP port on 127.0.0.1; unset: no TCP listener, and `unixSocket` must be true. Every
   * local user can reach a loopback port, and this server has no password; a socket in a
   * 0700 directory only reaches radgate's own user, which is why serve uses the socket.
   */
  readonly port?: number;
  /** Listen on `<dataDir>/redis.sock`, mode 0700 (default false). */
  readonly unixSocket?: boolean;
  /** Default true. */
  readonly appendonly?: boolean;
  /** Default 'everysec': at most one second of writes lost on a crash of the host. */
  readonly appendfsync?: AppendFsync;
  /** Appended last, so they override the defaults, e.g. ['--save', '3600 1']. */
  readonly extraArgs?: readonly string[];
  readonly logger?: Logger;
  /** Default 'redis-server', looked up on PATH. */
  readonly redisServerPath?: string;
  /** Restart, with backoff, when the server exits without being asked to (default false). */
  readonly supervise?: boolean;
  /**
   * Run in a process group of its own (default false). `radgate serve` sets it, so that
   * Ctrl-C on a terminal (SIGINT to the foreground group) reaches radgate only, which
   * finishes the requests in flight and then stops Redis itself. Tests leave it off, so a
   * test runner killing its workers' group takes their servers down with them.
   */
  readonly ownProcessGroup?: boolean;
  /**
   * A redis-server still running on the data directory that no live radgate supervises
   * (its radgate was killed) is stopped and replaced, rather than refused (default false).
   * One a live radgate supervises is always refused (data-dir-claim.ts).
   */
  readonly takeOverOrphan?: boolean;
  /** How long start-up may take before it counts as failed (default 10 s). */
  readonly startTimeoutMs?: number;
  /** How long a SIGTERM'd server may take to flush and exit before SIGKILL (default 10 s). */
  readonly stopTimeoutMs?: number;
}

interface Settings {
  readonly dataDir: string;
  readonly port: number | undefined;
  readonly socketPath: string | undefined;
  readonly appendonly: boolean;
  readonly appendfsync: AppendFsync;
  readonly extraArgs: readonly string[];
  readonly logger: Logger | undefined;
  readonly executable: string;
  readonly supervise: boolean;
  readonly ownProcessGroup: boolean;
  readonly takeOverOrphan: boolean;
  readonly startTimeoutMs: number;
  readonly stopTimeoutMs: number;
}

/** One spawned server. A restart makes a new one; events from an old one are ignored. */
interface ServerRun {
  readonly child: ChildProcess;
  /** The last lines of its stdout and stderr, for error messages. */
  readonly lines: string[];
  readonly exited: Promise<void>;
  /** Both output streams are drained, so `lines` is complete. */
  readonly drained: Promise<void>;
  hasExited: boolean;
  spawnError: NodeJS.ErrnoException | undefined;
  /** Answered PING: from here on an exit is a crash, not a failed start. */
  readyAt: number | undefined;
  /** stop() asked it to exit, so the exit is not a crash. */
  exitRequested: boolean;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const OUTPUT_LINES_KEPT = 20;
const READY_POLL_MS = 50;
/** Crash-loop backoff: 0.2 s doubling to 10 s, reset once a server stayed up this long. */
const RESTART_FIRST_DELAY_MS = 200;
const RESTART_MAX_DELAY_MS = 10_000;
const STABLE_UPTIME_MS = 30_000;
/** sun_path is 108 bytes on Linux (104 on the BSDs) including the terminating NUL. */
const MAX_SOCKET_PATH_BYTES = 103;

export class RedisProcess {
  /** TCP port on 127.0.0.1; undefined without a TCP listener. */
  readonly port: number | undefined;
  /** 'redis://127.0.0.1:PORT', or the socket path without a TCP listener (ioredis accepts both). */
  readonly url: string;
  readonly socketPath: string | undefined;
  readonly dataDir: string;

  private readonly settings: Settings;
  private current: ServerRun | undefined;
  private stopped = false;
  /** Bumped by stop() and each supervised restart, so a stale one stands down. */
  private generation = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private consecutiveCrashes = 0;

  private constructor(settings: Settings) {
    this.settings = settings;
    this.port = settings.port;
    this.socketPath = settings.socketPath;
    this.dataDir = settings.dataDir;
    this.url = settings.port !== undefined ? `redis://127.0.0.1:${settings.port}` : settings.socketPath!;
  }

  /** Starts a server and resolves once it answers PING. */
  static async start(options: RedisProcessOptions): Promise<RedisProcess> {
    const settings = resolveSettings(options);
    prepareDataDir(settings.dataDir, settings.logger);
    const redis = new RedisProcess(settings);
    await redis.launch();
    return redis;
  }

  /** The running server's pid; undefined while it is down. */
  pid(): number | undefined {
    const run = this.current;
    return run === undefined || run.hasExited ? undefined : run.child.pid;
  }

  /**
   * SIGTERM (redis fsyncs the AOF and exits), SIGKILL if it has not exited after
   * `stopTimeoutMs`. Supervision ends.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.generation++;
    this.cancelScheduledRestart();
    await this.terminate();
    forgetSupervisor(this.dataDir);
  }

  private async launch(): Promise<void> {
    const { settings } = this;
    await claimDataDir(settings.dataDir, { takeOverOrphan: settings.takeOverOrphan, stopTimeoutMs: settings.stopTimeoutMs, logger: settings.logger });
    const child = spawn(settings.executable, this.serverArgs(), { stdio: ['ignore', 'pipe', 'pipe'], detached: settings.ownProcessGroup });
    guardChild(child);
    if (child.pid !== undefined) recordSupervisor(settings.dataDir);
    const run = this.watch(child);
    this.current = run;
    await this.waitUntilReady(run);
    run.readyAt = Date.now();
    settings.logger?.info({ pid: child.pid, url: this.url, dataDir: settings.dataDir }, 'redis-server ready');
  }

  private serverArgs(): string[] {
    const { settings } = this;
    const args = [
      // A private server: loopback only. Protected mode is a second net should extraArgs
      // widen the bind without setting a password.
      '--port', String(this.port ?? 0),
      '--bind', '127.0.0.1',
      '--protected-mode', 'yes',
      '--daemonize', 'no',
      '--dir', settings.dataDir,
      // '' logs to stdout, which we capture for error messages and the logger.
      '--logfile', '',
      // Lets the next start see a server still using this directory (see data-dir-claim.ts).
      '--pidfile', pidFileOf(settings.dataDir),
      '--appendonly', settings.appendonly ? 'yes' : 'no',
      '--appendfsync', settings.appendfsync,
      // The AOF is the persistence; RDB snapshots only when asked for through extraArgs.
      '--save', '',
    ];
    if (settings.socketPath !== undefined) {
      args.push('--unixsocket', settings.socketPath, '--unixsocketperm', '700');
    }
    args.push(...settings.extraArgs);
    return args;
  }

  private watch(child: ChildProcess): ServerRun {
    const lines: string[] = [];
    let markExited!: () => void;
    const exited = new Promise<void>((resolve) => (markExited = resolve));
    const run: ServerRun = {
      child,
      lines,
      exited,
      drained: Promise.all([drain(child.stdout), drain(child.stderr)]).then(() => undefined),
      hasExited: false,
      spawnError: undefined,
      readyAt: undefined,
      exitRequested: false,
    };
    const onLine = (line: string) => {
      lines.push(line);
      if (lines.length > OUTPUT_LINES_KEPT) lines.shift();
      logServerLine(this.settings.logger, line);
    };
    if (child.stdout !== null) createInterface({ input: child.stdout, crlfDelay: Infinity }).on('line', onLine);
    if (child.stderr !== null) createInterface({ input: child.stderr, crlfDelay: Infinity }).on('line', onLine);
    child.on('error', (error: NodeJS.ErrnoException) => {
      // Spawn failures (ENOENT, EACCES) come here and no 'exit' follows.
      if (child.pid === undefined) {
        run.spawnError = error;
        run.hasExited = true;
        markExited();
      } else {
        this.settings.logger?.error({ err: error, pid: child.pid }, 'redis-server child process error');
      }
    });
    child.once('exit', (code, signal) => {
      run.hasExited = true;
      markExited();
      this.onExit(run, code, signal);
    });
    return run;
  }

  private onExit(run: ServerRun, code: number | null, signal: NodeJS.Signals | null): void {
    // A failed start is reported by launch(); an asked-for or superseded exit is no news.
    if (run.readyAt === undefined || run.exitRequested || run !== this.current) return;
    const { logger, supervise } = this.settings;
    logger?.warn({ pid: run.child.pid, code, signal, output: run.lines.slice(-5) }, 'redis-server exited unexpectedly');
    if (supervise && !this.stopped) this.scheduleRestart(Date.now() - run.readyAt);
  }

  private scheduleRestart(uptimeMs: number): void {
    if (uptimeMs >= STABLE_UPTIME_MS) this.consecutiveCrashes = 0;
    const delayMs = Math.min(RESTART_FIRST_DELAY_MS * 2 ** this.consecutiveCrashes, RESTART_MAX_DELAY_MS);
    this.consecutiveCrashes++;
    const generation = ++this.generation;
    const { logger } = this.settings;
    logger?.info({ delayMs }, 'restarting redis-server');
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      this.launch().then(
        () => {
          if (generation === this.generation) logger?.info({ pid: this.pid() }, 'redis-server restarted');
        },
        (error: unknown) => {
          if (generation !== this.generation || this.stopped) return;
          logger?.error({ err: error }, 'redis-server did not restart; trying again');
          this.scheduleRestart(0);
        },
      );
    }, delayMs);
  }

  private cancelScheduledRestart(): void {
    if (this.restartTimer === undefined) return;
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
  }

  private async terminate(): Promise<void> {
    const run = this.current;
    if (run === undefined || run.hasExited) return;
    run.exitRequested = true;
    run.child.kill('SIGTERM');
    if (await settlesWithin(run.exited, this.settings.stopTimeoutMs)) return;
    this.settings.logger?.warn(
      { pid: run.child.pid, timeoutMs: this.settings.stopTimeoutMs },
      'redis-server did not exit after SIGTERM; sending SIGKILL (writes since the last fsync may be lost)',
    );
    run.child.kill('SIGKILL');
    await run.exited;
  }

  private async waitUntilReady(run: ServerRun): Promise<void> {
    const { settings } = this;
    const address: NetConnectOpts =
      this.port !== undefined ? { host: '127.0.0.1', port: this.port } : { path: settings.socketPath! };
    const deadline = Date.now() + settings.startTimeoutMs;
    for (;;) {
      if (run.hasExited) throw await this.startFailure(run);
      // A server that dies while a probe waits on someone else's silent listener is news now.
      const probe = await Promise.race([
        probeServer(address),
        run.exited.then((): Probe => ({ kind: 'not-ready', detail: 'exited' })),
      ]);
      // The pid check matters when our server failed to bind: someone else's server on the
      // port would answer, and we must not take it for ours.
      if (probe.kind === 'ready' && (probe.processId === undefined || probe.processId === run.child.pid)) return;
      if (run.hasExited) throw await this.startFailure(run);
      if (Date.now() >= deadline) {
        run.exitRequested = true;
        run.child.kill('SIGKILL');
        await run.exited;
        await settlesWithin(run.drained, 1_000);
        throw new RedisProcessError(
          'RADGATE_REDIS_START_FAILED',
          `redis-server did not answer PING within ${settings.startTimeoutMs} ms (last answer: ${probe.detail})`,
          [...run.lines],
        );
      }
      await Promise.race([sleep(READY_POLL_MS), run.exited]);
    }
  }

  private async startFailure(run: ServerRun): Promise<RedisProcessError> {
    const { executable } = this.settings;
    const spawnError = run.spawnError;
    if (spawnError?.code === 'ENOENT') {
      const where = executable.includes('/') ? `at ${executable}` : 'on PATH';
      return new RedisProcessError(
        'RADGATE_REDIS_NOT_FOUND',
        `redis-server not found ${where}: install redis-server (apt-get install redis-server) or set redis.url`,
      );
    }
    if (spawnError !== undefined) {
      return new RedisProcessError('RADGATE_REDIS_START_FAILED', `could not run ${executable}: ${spawnError.message}`);
    }
    // Output written just before exit may still be in the pipe.
    await settlesWithin(run.drained, 1_000);
    const { exitCode, signalCode } = run.child;
    const how = signalCode !== null ? `was killed by ${signalCode}` : `exited with code ${exitCode}`;
    return new RedisProcessError('RADGATE_REDIS_START_FAILED', `redis-server ${how} during start-up`, [...run.lines]);
  }
}

function resolveSettings(options: RedisProcessOptions): Settings {
  const dataDir = resolvePath(options.dataDir);
  const unixSocket = options.unixSocket ?? false;
  const port = options.port;
  if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) {
    throw new RangeError(`redis port must be an integer from 1 to 65535, got ${String(port)}`);
  }
  if (port === undefined && !unixSocket) throw new RangeError('redis needs a port or unixSocket: true');
  const appendfsync = options.appendfsync ?? 'everysec';
  if (!['always', 'everysec', 'no'].includes(appendfsync)) {
    throw new RangeError(`appendfsync must be always, everysec or no, got ${String(appendfsync)}`);
  }
  const socketPath = unixSocket ? join(dataDir, 'redis.sock') : undefined;
  if (socketPath !== undefined && Buffer.byteLength(socketPath) > MAX_SOCKET_PATH_BYTES) {
    throw new RangeError(
      `redis unix socket path ${socketPath} is longer than ${MAX_SOCKET_PATH_BYTES} bytes; choose a shorter data directory`,
    );
  }
  return {
    dataDir,
    port,
    socketPath,
    appendonly: options.appendonly ?? true,
    appendfsync,
    extraArgs: [...(options.extraArgs ?? [])],
    logger: options.logger,
    executable: options.redisServerPath ?? 'redis-server',
    supervise: options.supervise ?? false,
    ownProcessGroup: options.ownProcessGroup ?? false,
    takeOverOrphan: options.takeOverOrphan ?? false,
    startTimeoutMs: options.startTimeoutMs ?? DEFAULT_TIMEOUT_MS,
    stopTimeoutMs: options.stopTimeoutMs ?? DEFAULT_TIMEOUT_MS,
  };
}

function drain(stream: NodeJS.ReadableStream | null): Promise<void> {
  if (stream === null) return Promise.resolve();
  return new Promise((resolve) => {
    stream.once('close', resolve);
    stream.once('end', resolve);
    stream.once('error', () => resolve());
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
