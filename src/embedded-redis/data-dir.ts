import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { RedisProcessError } from './errors.js';

/** Redis 7 refuses to start when --dir is missing. The AOF holds secrets, hence 0700. */
export function prepareDataDir(dataDir: string, logger: Logger | undefined): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const { mode } = statSync(dataDir);
  if ((mode & 0o077) !== 0) {
    logger?.warn(
      { dataDir, mode: (mode & 0o777).toString(8) },
      'redis data directory is open to other users, and its AOF holds the credential store: chmod 700 it',
    );
  }
}

/** Where the server writes its pid, so the next start can see a server still using the directory. */
export function pidFileOf(dataDir: string): string {
  return join(dataDir, 'redis.pid');
}

/**
 * A server orphaned by a parent that died without stopping it keeps running on the
 * directory. A second one appending to the same AOF would corrupt it, so refuse and name
 * the pid.
 */
export function refuseIfDataDirInUse(dataDir: string): void {
  const pidFile = pidFileOf(dataDir);
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
