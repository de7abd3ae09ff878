import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { createConnection, createServer, type AddressInfo, type NetConnectOpts } from 'node:net';
import { join, resolve as resolvePath } from 'node:path';
import { createInterface } from 'node:readline';
import type { Logger } from 'pino';

/**
 * A private `redis-server` child process, for the two places that need one: radgate's
 * embedded default (no `redis.url` configured: `radgate serve` runs its own Redis with
 * persistence under a data directory) and tests, which each need a real Redis on a private
 * port, never one someone else started.
 */

/** Every code a {@link RedisProcessError} can carry, with what it means for the admin. */
export const REDIS_PROCESS_ERROR_CODES = {
  RADGATE_REDIS_NOT_FOUND:
    'redis-server is not installed (or not on PATH); it is needed only when redis.url is not set and radgate runs its own Redis.',
  RADGATE_REDIS_START_FAILED:
    'The embedded redis-server exited during start-up or did not answer PING in time; the message ends with its last log lines.',
  RADGATE_REDIS_DATA_DIR_IN_USE:
    'Another redis-server is still running on the embedded data directory (its pid is in redis.pid there); two servers appending to one AOF would corrupt it.',
} as const;

export type RedisProcessErrorCode = keyof typeof REDIS_PROCESS_ERROR_CODES;

export class RedisProcessError extends Error {
  override readonly name = 'RedisProcessError';
  readonly code: RedisProcessErrorCode;
  /** The server's last log lines (empty when it never ran). */
  readonly output: readonly string[];

  constructor(code: RedisProcessErrorCode, message: string, output: readonly string[] = []) {
    super(output.length === 0 ? message : `${message}\nlast redis-server output:\n  ${output.join('\n  ')}`);
    this.code = code;
    this.output = output;
  }
}

export type AppendFsync = 'always' | 'everysec' | 'no';

export interface RedisProcessOptions {
  /** Created (mode 0700) if missing; holds the AOF, any RDB file, redis.pid and the socket. */
  readonly dataDir: string;
  /** TCP port on 127.0.0.1. 0 or unset picks a free one. */
  readonly port?: number;
  /**
   * Listen on TCP at all (default true). false needs `unixSocket: true`. Every local user
   * can reach a loopback port, and this server has no password; a socket in a 0700
   * directory only reaches radgate's own user, so a shared host should prefer it.
   */
  readonly tcp?: boolean;
  /** Also listen on `<dataDir>/redis.sock`, mode 0700 (default false). */
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
  /** How long start-up may take before it counts as failed (default 10 s). */
  readonly startTimeoutMs?: number;
  /** How long a SIGTERM'd server may take to flush and exit before SIGKILL (default 10 s). */
  readonly stopTimeoutMs?: number;
}

interface Settings {
  readonly dataDir: string;
  readonly port: number | undefined;
  readonly tcp: boolean;
  readonly socketPath: string | undefined;
  readonly appendonly: boolean;
  readonly appendfsync: AppendFsync;
  readonly extraArgs: readonly string[];
  readonly logger: Logger | undefined;
  readonly executable: string;
  readonly supervise: boolean;
  readonly ownProcessGroup: boolean;
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
  /** stop() or restart() asked it to exit, so the exit is not a crash. */
  exitRequested: boolean;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const OUTPUT_LINES_KEPT = 20;
/** Enough to get past a port taken between our probe and redis's bind; more means a real problem. */
const FREE_PORT_ATTEMPTS = 5;
const READY_POLL_MS = 50;
const PROBE_TIMEOUT_MS = 1_000;
/** Crash-loop backoff: 0.2 s doubling to 10 s, reset once a server stayed up this long. */
const RESTART_FIRST_DELAY_MS = 200;
const RESTART_MAX_DELAY_MS = 10_000;
const STABLE_UPTIME_MS = 30_000;
/** sun_path is 108 bytes on Linux (104 on the BSDs) including the terminating NUL. */
const MAX_SOCKET_PATH_BYTES = 103;

/**
 * Every server still running, SIGKILLed when this process exits: nothing else would stop
 * them, and a test run must never leave redis-servers behind. (A parent killed by SIGKILL
 * runs no hook; the pid-file check in {@link RedisProcess.start} catches that orphan.)
 */
const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;

function trackChild(child: ChildProcess): void {
  liveChildren.add(child);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const running of liveChildren) running.kill('SIGKILL');
  });
}

export class RedisProcess {
  /** TCP port on 127.0.0.1; undefined with `tcp: false`. Fixed for the life of the object. */
  readonly port: number | undefined;
  /** 'redis://127.0.0.1:PORT', or the socket path with `tcp: false` (ioredis accepts both). */
  readonly url: string;
  readonly socketPath: string | undefined;
  readonly dataDir: string;

  private readonly settings: Settings;
  private current: ServerRun | undefined;
  private stopped = false;
  /** Bumped by stop(), restart() and each supervised restart, so a stale one stands down. */
  private generation = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private consecutiveCrashes = 0;

  private constructor(settings: Settings, port: number | undefined) {
    this.settings = settings;
    this.port = port;
    this.socketPath = settings.socketPath;
    this.dataDir = settings.dataDir;
    this.url = port !== undefined ? `redis://127.0.0.1:${port}` : settings.socketPath!;
  }

  /**
   * Starts a server and resolves once it answers PING. With no port given, a free one is
   * picked and, if another process grabs it before redis binds, picked again.
   */
  static async start(options: RedisProcessOptions): Promise<RedisProcess> {
    const settings = resolveSettings(options);
    prepareDataDir(settings);
    for (let attempt = 1; ; attempt++) {
      const port = !settings.tcp ? undefined : (settings.port ?? (await pickFreePort()));
      const redis = new RedisProcess(settings, port);
      try {
        await redis.launch();
        return redis;
      } catch (error) {
        const retry =
          settings.tcp && settings.port === undefined && attempt < FREE_PORT_ATTEMPTS && isAddressInUse(error);
        if (!retry) throw error;
        settings.logger?.debug({ port, attempt }, 'redis-server port was taken before it could bind; trying another');
      }
    }
  }

  /** The running server's pid; undefined while it is down. */
  pid(): number | undefined {
    const run = this.current;
    return run === undefined || run.hasExited ? undefined : run.child.pid;
  }

  /**
   * SIGTERM (redis fsyncs the AOF and exits), SIGKILL if it has not exited after
   * `stopTimeoutMs`. Supervision ends; restart() may start it again.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.generation++;
    this.cancelScheduledRestart();
    await this.terminate();
  }

  /** Sends a signal as a fault would: a SIGKILL here counts as a crash (and is supervised). */
  kill(signal: NodeJS.Signals): void {
    const run = this.current;
    if (run !== undefined && !run.hasExited) run.child.kill(signal);
  }

  /**
   * Stops the server if it runs, then starts it on the same port and data directory, so
   * clients reconnect to the same URL and find the persisted data. Resolves on PING.
   */
  async restart(): Promise<void> {
    this.stopped = false;
    const generation = ++this.generation;
    this.cancelScheduledRestart();
    await this.terminate();
    if (generation !== this.generation) throw new Error('redis-server restart was overtaken by stop() or another restart()');
    await this.launch();
  }

  private async launch(): Promise<void> {
    const { settings } = this;
    refuseIfDataDirInUse(settings.dataDir);
    const child = spawn(settings.executable, this.serverArgs(), { stdio: ['ignore', 'pipe', 'pipe'], detached: settings.ownProcessGroup });
    if (child.pid !== undefined) trackChild(child);
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
      // Lets the next start see a server still using this directory (see refuseIfDataDirInUse).
      '--pidfile', join(settings.dataDir, 'redis.pid'),
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
      liveChildren.delete(child);
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
    // A server paused by a fault test (SIGSTOP) only acts on the SIGTERM once resumed.
    run.child.kill('SIGCONT');
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
  const tcp = options.tcp ?? true;
  const unixSocket = options.unixSocket ?? false;
  const port = options.port === undefined || options.port === 0 ? undefined : options.port;
  if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) {
    throw new RangeError(`redis port must be an integer from 0 to 65535, got ${String(options.port)}`);
  }
  if (!tcp && !unixSocket) throw new RangeError('redis needs tcp or unixSocket: with tcp: false, set unixSocket: true');
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
    tcp,
    socketPath,
    appendonly: options.appendonly ?? true,
    appendfsync,
    extraArgs: [...(options.extraArgs ?? [])],
    logger: options.logger,
    executable: options.redisServerPath ?? 'redis-server',
    supervise: options.supervise ?? false,
    ownProcessGroup: options.ownProcessGroup ?? false,
    startTimeoutMs: options.startTimeoutMs ?? DEFAULT_TIMEOUT_MS,
    stopTimeoutMs: options.stopTimeoutMs ?? DEFAULT_TIMEOUT_MS,
  };
}

/** Redis 7 refuses to start when --dir is missing. The AOF holds secrets, hence 0700. */
function prepareDataDir(settings: Settings): void {
  mkdirSync(settings.dataDir, { recursive: true, mode: 0o700 });
  const { mode } = statSync(settings.dataDir);
  if ((mode & 0o077) !== 0) {
    settings.logger?.warn(
      { dataDir: settings.dataDir, mode: (mode & 0o777).toString(8) },
      'redis data directory is open to other users, and its AOF holds the credential store: chmod 700 it',
    );
  }
}

/**
 * A server orphaned by a parent that died on SIGKILL keeps running on the directory. A
 * second one appending to the same AOF would corrupt it, so refuse and name the pid.
 */
function refuseIfDataDirInUse(dataDir: string): void {
  const pidFile = join(dataDir, 'redis.pid');
  let pid: number;
  try {
    pid = Number.parseInt(readFileSync(pidFile, 'utf8').trim(), 10);
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 0 || !isRunningRedis(pid)) return;
  throw new RedisProcessError(
    'RADGATE_REDIS_DATA_DIR_IN_USE',
    `redis-server pid ${pid} (from ${pidFile}) is still running on ${dataDir}: stop it, or give this instance another data directory`,
  );
}

function isRunningRedis(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: alive, but another user's.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  // A pid file left by a crash may name a pid since reused by an unrelated process.
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').includes('redis');
  } catch (error) {
    // No /proc (not Linux): assume the worst rather than risk two writers.
    return (error as NodeJS.ErrnoException).code !== 'ENOENT' || process.platform !== 'linux';
  }
}

/** Asks the kernel for a free port. Another process may take it before redis binds; start() retries. */
function pickFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function isAddressInUse(error: unknown): boolean {
  return (
    error instanceof RedisProcessError &&
    error.code === 'RADGATE_REDIS_START_FAILED' &&
    error.output.some((line) => line.includes('Address already in use'))
  );
}

type Probe =
  | { readonly kind: 'ready'; readonly processId: number | undefined; readonly detail: string }
  | { readonly kind: 'not-ready'; readonly detail: string };

/**
 * Raw RESP instead of a client library, so starting a server depends on nothing but the
 * socket: inline `PING` then `INFO server`, the latter to learn which process answered.
 * -LOADING (replaying the AOF) means not ready yet; -NOAUTH (a password set through
 * extraArgs) means up, but unable to tell whose server it is.
 */
function probeServer(address: NetConnectOpts): Promise<Probe> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (probe: Probe) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(probe);
    };
    const socket = createConnection(address);
    socket.setTimeout(PROBE_TIMEOUT_MS, () => finish({ kind: 'not-ready', detail: 'no reply' }));
    socket.once('error', (error: NodeJS.ErrnoException) => finish({ kind: 'not-ready', detail: error.code ?? error.message }));
    socket.once('connect', () => socket.write('PING\r\nINFO server\r\n'));
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      // latin1 keeps one character per byte, so RESP lengths index the string directly.
      const text = Buffer.concat(chunks).toString('latin1');
      const firstEnd = text.indexOf('\r\n');
      if (firstEnd === -1) return;
      const first = text.slice(0, firstEnd);
      if (first.startsWith('-NOAUTH')) return finish({ kind: 'ready', processId: undefined, detail: first });
      if (first !== '+PONG') return finish({ kind: 'not-ready', detail: first });
      const info = readBulkString(text, firstEnd + 2);
      if (info === 'incomplete') return;
      const match = info === undefined ? null : /^process_id:(\d+)/m.exec(info);
      finish({ kind: 'ready', processId: match === null ? undefined : Number(match[1]), detail: first });
    });
    socket.once('end', () => finish({ kind: 'not-ready', detail: 'connection closed' }));
  });
}

/**
 * True when a Redis server answers on this unix socket: how a CLI command or a worker
 * joins the embedded server a running `radgate serve` owns, instead of starting another.
 */
export async function redisAnswersOn(path: string): Promise<boolean> {
  return (await probeServer({ path })).kind === 'ready';
}

/** A RESP bulk string at `offset`; undefined if the reply is something else (e.g. an error). */
function readBulkString(text: string, offset: number): string | undefined | 'incomplete' {
  const headerEnd = text.indexOf('\r\n', offset);
  if (headerEnd === -1) return 'incomplete';
  if (text[offset] !== '$') return undefined;
  const length = Number(text.slice(offset + 1, headerEnd));
  const start = headerEnd + 2;
  if (text.length < start + length) return 'incomplete';
  return text.slice(start, start + length);
}

/**
 * Redis log lines look like "123:M 01 Jan 2025 12:00:00.000 # message", where the mark
 * is the level: '#' warning, '*' notice, '-' verbose, '.' debug. Redis 7 also marks its
 * start and shutdown banners '#'; those are info, so that a warning from radgate's log
 * still means something needs a look (memory overcommit, a truncated AOF).
 */
const REDIS_LOG_LINE = /^\d+:[XCSM] \d{1,2} \w{3} \d{4} [\d:.]+ ([#*.-]) (.*)$/;
const ROUTINE_WARNINGS =
  /Redis is starting|^Redis version=|^Configuration loaded|^Server initialized|^User requested shutdown|^Received SIG\w+ scheduling shutdown|ready to exit, bye bye/;

function logServerLine(logger: Logger | undefined, line: string): void {
  if (logger === undefined || line.trim() === '') return;
  const match = REDIS_LOG_LINE.exec(line);
  const message = match?.[2] ?? line;
  const context = { source: 'redis-server' };
  if (match?.[1] !== '#') logger.debug(context, message);
  else if (ROUTINE_WARNINGS.test(message)) logger.info(context, message);
  else logger.warn(context, message);
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
