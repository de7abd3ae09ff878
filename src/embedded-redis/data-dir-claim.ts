import { readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { RedisProcessError } from './errors.js';

/**
 * Who may run a redis-server on a data directory. Two servers appending to one AOF would
 * corrupt it, and a gateway must never use a server nobody supervises (after a crash of
 * the radgate that started it, it would be left running with no one to restart or stop
 * it). So each start claims the directory: a server still running there is either
 * supervised by a live radgate (refused, naming it) or an orphan (taken over: stopped, so
 * the new one starts on the same AOF; or refused when the caller does not take over).
 */

/** Where the server writes its pid (`--pidfile`). */
export function pidFileOf(dataDir: string): string {
  return join(dataDir, 'redis.pid');
}

/** Where the radgate process that started the server writes its own pid. */
export function supervisorFileOf(dataDir: string): string {
  return join(dataDir, 'supervisor.pid');
}

export interface ClaimOptions {
  /** Stop a server that no live radgate supervises, rather than refuse. */
  readonly takeOverOrphan: boolean;
  /** How long the orphan may take to flush its AOF and exit after SIGTERM before SIGKILL. */
  readonly stopTimeoutMs: number;
  readonly logger: Logger | undefined;
}

const EXIT_POLL_MS = 50;

/** Resolves once no other server runs on the directory; throws RADGATE_REDIS_DATA_DIR_IN_USE otherwise. */
export async function claimDataDir(dataDir: string, options: ClaimOptions): Promise<void> {
  const pid = readPid(pidFileOf(dataDir));
  if (pid === undefined || !isRunningRedis(pid)) return;
  const supervisor = readPid(supervisorFileOf(dataDir));
  // The supervisor is the server's parent: a pid file left by a radgate that died may name
  // a pid since reused, but the reused process cannot be the orphan's parent.
  if (supervisor !== undefined && parentOf(pid) === supervisor && isAlive(supervisor)) {
    throw new RedisProcessError(
      'RADGATE_REDIS_DATA_DIR_IN_USE',
      `redis-server pid ${pid} on ${dataDir} is supervised by radgate pid ${supervisor} (another radgate serve, or a radgate command run while no serve was): stop it first, or give this instance another data directory (redis.embedded.data_dir)`,
    );
  }
  if (!options.takeOverOrphan || !servesDirectory(pid, dataDir)) {
    throw new RedisProcessError(
      'RADGATE_REDIS_DATA_DIR_IN_USE',
      `redis-server pid ${pid} (from ${pidFileOf(dataDir)}) is still running on ${dataDir}: stop it, or give this instance another data directory`,
    );
  }
  options.logger?.warn({ pid, dataDir }, 'a redis-server left running on the data directory by a radgate that is gone: stopping it to start a supervised one');
  await stopOrphan(pid, options.stopTimeoutMs);
}

/** SIGTERM (redis fsyncs the AOF and exits), SIGKILL after the timeout. */
async function stopOrphan(pid: number, stopTimeoutMs: number): Promise<void> {
  signal(pid, 'SIGTERM');
  const deadline = Date.now() + stopTimeoutMs;
  // Not our child: no exit event to wait for, so look at the pid until it is gone.
  while (isAlive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, EXIT_POLL_MS));
  if (!isAlive(pid)) return;
  signal(pid, 'SIGKILL');
  while (isAlive(pid)) await new Promise((resolve) => setTimeout(resolve, EXIT_POLL_MS));
}

/** Records this process as the supervisor of the server it has just started. */
export function recordSupervisor(dataDir: string): void {
  writeFileSync(supervisorFileOf(dataDir), `${process.pid}\n`, { mode: 0o600 });
}

export function forgetSupervisor(dataDir: string): void {
  if (readPid(supervisorFileOf(dataDir)) === process.pid) rmSync(supervisorFileOf(dataDir), { force: true });
}

/** The pid a pid file holds, or undefined when it is missing or holds none. */
export function readPid(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Gone already.
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !isZombie(pid);
  } catch (error) {
    // EPERM: alive, but another user's.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A zombie has exited; only its parent's wait is missing (an orphan's new parent reaps it soon). */
function isZombie(pid: number): boolean {
  return statFields(pid)?.[0] === 'Z';
}

function parentOf(pid: number): number | undefined {
  const ppid = statFields(pid)?.[1];
  return ppid === undefined ? undefined : Number(ppid);
}

/** The fields of /proc/PID/stat after the command name: state, ppid, … */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

function isRunningRedis(pid: number): boolean {
  if (!isAlive(pid)) return false;
  // A pid file left by a crash may name a pid since reused by an unrelated process.
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').includes('redis');
  } catch (error) {
    // No /proc (not Linux): assume the worst rather than risk two writers.
    return (error as NodeJS.ErrnoException).code !== 'ENOENT' || process.platform !== 'linux';
  }
}

/** redis-server changes to its --dir: the orphan is this directory's only if its cwd is it. */
function servesDirectory(pid: number, dataDir: string): boolean {
  try {
    return readlinkSync(`/proc/${pid}/cwd`) === dataDir;
  } catch {
    return false;
  }
}
