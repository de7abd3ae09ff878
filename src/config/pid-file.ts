import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parse } from 'yaml';

/** The default of `redis.embedded.data_dir` (schema.ts), for a file read without the schema. */
const DEFAULT_DATA_DIR = '/var/lib/radgate/redis';

/** The parts of the file the pid file's place depends on. */
interface PidFileSettings {
  readonly pid_file?: unknown;
  readonly redis?: { readonly url?: unknown; readonly embedded?: { readonly data_dir?: unknown } } | null;
}

/**
 * Where `radgate serve` writes its pid: `pid_file`, else radgate.pid beside redis.pid in
 * the embedded Redis's data directory (a directory of this instance's own, 0700). With
 * `redis.url` and no `pid_file` there is none: instances sharing a Redis have no shared
 * directory to default to, and a service manager knows the pid anyway (systemd's $MAINPID).
 */
export function pidFilePath(raw: PidFileSettings, baseDir: string, redisUrl: string | undefined): string | undefined {
  if (typeof raw.pid_file === 'string' && raw.pid_file !== '') return resolve(baseDir, raw.pid_file);
  if (redisUrl !== undefined) return undefined;
  const dataDir = raw.redis?.embedded?.data_dir;
  return join(resolve(baseDir, typeof dataDir === 'string' && dataDir !== '' ? dataDir : DEFAULT_DATA_DIR), 'radgate.pid');
}

/**
 * The pid file a config file names, read without validating the rest of it: `radgate
 * reload` runs in the operator's shell, which may lack the service's environment
 * (`secret_env`); the gateway validates the file itself when signalled. Undefined when the
 * file names none; throws when it cannot be read or parsed.
 */
export function pidFileOfConfigFile(path: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const source = resolve(path);
  const raw = (parse(readFileSync(source, 'utf8')) ?? {}) as PidFileSettings;
  const fromEnv = env.RADGATE_REDIS_URL === undefined || env.RADGATE_REDIS_URL === '' ? undefined : env.RADGATE_REDIS_URL;
  const url = fromEnv ?? (typeof raw.redis?.url === 'string' ? raw.redis.url : undefined);
  return pidFilePath(raw, dirname(source), url);
}
