import type { RadgateConfig } from './types.js';

/**
 * What a reload can change in a running gateway: what each request reads afresh (clients
 * and secrets, policies, reply profiles, code settings, the challenge, the time zone, the
 * log level (not its format), the dictionaries). Everything else (listen addresses, Redis, workers, the
 * key files, the embedded data directory, the reply cache, user copies and request
 * deadline, the pid file, and any section this list does not know) is fixed at start: a
 * change there needs a restart, and a reload says so rather than ignore it silently.
 */
const LIVE_SETTINGS: ReadonlySet<string> = new Set<keyof RadgateConfig>([
  'clients',
  'dictionaryDir',
  'dictionary',
  'replies',
  'policy',
  'codes',
  'tokenIssuer',
  'challenge',
  'timeZone',
  'log',
  // Certificates, keys, the CRL and PSKs, clients and limits: new connections get them,
  // established ones keep the identity they authenticated with (RFC 6614 §2.4).
  'radsec',
]);

/**
 * Paths inside live sections that are fixed at start all the same: the log's destination is
 * chosen once; the TLS listeners are made once, and Node's tls.Server takes its
 * handshakeTimeout only when it is created.
 */
const FIXED_PATHS: ReadonlySet<string> = new Set(['log.format', 'radsec.listen', 'radsec.handshakeTimeoutMs']);

/** Sections whose appearing or going away means a listener to open or close: a restart. */
const LISTENER_SECTIONS: ReadonlySet<string> = new Set(['radsec']);

/**
 * Paths inside fixed sections that a reload applies all the same: the certificates and keys
 * of the console and the self-service pages (SPEC "Observability and operations": SIGHUP
 * reloads certificates), so a renewed certificate needs no restart of the RADIUS listeners;
 * and the settings of the service behind the self-service pages, which a reload makes again
 * (serve/self-service-endpoint.ts) with the reloaded `policy` and `codes`.
 */
const LIVE_PATHS: ReadonlySet<string> = new Set([
  ...['console', 'selfService'].flatMap((section) => ['certificate', 'key', 'certificateFile', 'keyFile'].map((key) => `${section}.${key}`)),
  'selfService.service',
]);

/** Not compared: the file's own path, and the dictionaries, which are re-read on every reload anyway. */
const NOT_COMPARED: ReadonlySet<string> = new Set<keyof RadgateConfig>(['source', 'dictionary']);

/** Key paths as the admin writes them where the config's shape differs from the file's. */
const FILE_KEYS: Readonly<Record<string, string>> = {
  'redis.embeddedDataDir': 'redis.embedded.data_dir',
  'radsec.idleTimeoutMs': 'radsec.idle_timeout_seconds',
  tokenIssuer: 'tokens.issuer',
  pidFile: 'pid_file',
  'console.certificate': 'console.certificate_file',
  'console.key': 'console.key_file',
  'console.certificateFile': 'console.certificate_file',
  'console.keyFile': 'console.key_file',
  'selfService.certificate': 'self_service.certificate_file',
  'selfService.key': 'self_service.key_file',
  'selfService.certificateFile': 'self_service.certificate_file',
  'selfService.keyFile': 'self_service.key_file',
  'selfService.service': 'self_service.answer_ms, code_lifetime or requests_per_user_per_hour',
};

export interface ConfigChanges {
  /** Settings the reload changes, as file key paths (`policy.reject_delay_ms`, `clients`). */
  readonly applied: readonly string[];
  /** Settings that differ from what the gateway started with and need a restart. */
  readonly needRestart: readonly string[];
}

/**
 * Compares a newly read file with the running configuration (for what a reload applies)
 * and with the one the gateway started with (for what only a restart applies: until then
 * the started values stay in force, whatever reloads came between). Names keys, never
 * values: a key may be a secret or a Redis URL with a password.
 */
export function compareConfigs(running: RadgateConfig, started: RadgateConfig, next: RadgateConfig): ConfigChanges {
  const applied: string[] = [];
  const needRestart: string[] = [];
  const keys = new Set([...Object.keys(started), ...Object.keys(next)]);
  for (const key of keys) {
    if (NOT_COMPARED.has(key)) continue;
    const after = (next as unknown as Record<string, unknown>)[key];
    const sinceStart = changedPaths((started as unknown as Record<string, unknown>)[key], after, key, 2);
    const present = (config: RadgateConfig): boolean => (config as unknown as Record<string, unknown>)[key] !== undefined;
    if (!LIVE_SETTINGS.has(key) || (LISTENER_SECTIONS.has(key) && present(started) !== present(next))) {
      needRestart.push(...sinceStart.filter((path) => !LIVE_PATHS.has(path)).map(fileKey));
      const live = changedPaths((running as unknown as Record<string, unknown>)[key], after, key, 2).filter((path) => LIVE_PATHS.has(path));
      applied.push(...live.map(fileKey));
      continue;
    }
    const sinceRunning = changedPaths((running as unknown as Record<string, unknown>)[key], after, key, 2);
    applied.push(...sinceRunning.filter((path) => !FIXED_PATHS.has(path)).map(fileKey));
    needRestart.push(...sinceStart.filter((path) => FIXED_PATHS.has(path)).map(fileKey));
  }
  return { applied, needRestart };
}

/** The paths, `depth` levels deep at most, where two values differ; arrays count as one value. */
function changedPaths(a: unknown, b: unknown, path: string, depth: number): string[] {
  if (isPlainObject(a) && isPlainObject(b) && depth > 1) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((key) => changedPaths(a[key], b[key], `${path}.${key}`, depth - 1));
  }
  return equal(a, b) ? [] : [path];
}

function equal(a: unknown, b: unknown): boolean {
  if (Buffer.isBuffer(a) || Buffer.isBuffer(b)) return Buffer.isBuffer(a) && Buffer.isBuffer(b) && a.equals(b);
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, index) => equal(item, b[index]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].every((key) => equal(a[key], b[key]));
  }
  return Object.is(a, b);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

/** `policy.rejectDelayMs` → `policy.reject_delay_ms`, as in the YAML file. */
function fileKey(path: string): string {
  return FILE_KEYS[path] ?? path.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}
