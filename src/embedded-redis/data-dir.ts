import { mkdirSync, statSync } from 'node:fs';
import type { Logger } from 'pino';

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
