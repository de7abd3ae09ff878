/**
 * Reads radgate's YAML configuration, validates it once against the schema, resolves
 * secrets and paths, and returns a deep-frozen {@link RadgateConfig}.
 *
 * Every problem is collected before throwing, so an admin fixes the file in one pass, and
 * each one names the file, the line and the key path.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import { Ajv } from 'ajv';
import { defaultDictionaryDir, Resolver } from './config-checks.js';
import { ConfigError, type ConfigIssue } from './errors.js';
import { pidFilePath } from './pid-file.js';
import { configSchema, type RawConfig } from './schema.js';
import { describeSchemaError, soundParts } from './schema-errors.js';
import type { RadgateConfig } from './types.js';
import { parseYaml } from './yaml-syntax.js';

export { defaultDictionaryDir };

export interface ParseConfigOptions {
  /** Shown in every error message and kept as `config.source`. */
  readonly source: string;
  /** Relative `secret_file` and `dictionary_dir` paths resolve against this directory. */
  readonly baseDir: string;
  /** Where `secret_env` variables are looked up; defaults to `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
}

// Compiled once at start-up; `strict` makes a mistake in the schema itself fail loudly.
const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: true, allowUnionTypes: true, verbose: true });
ajv.addVocabulary(['patternHint']);
const validateSchema = ajv.compile(configSchema);

/** Reads and parses a config file; relative paths inside it resolve against its folder. */
export function loadConfigFile(path: string, env: NodeJS.ProcessEnv = process.env): RadgateConfig {
  return readConfigFile(path, env).config;
}

/** loadConfigFile, with the text it read: `serve` hands that text to its workers, not the file. */
export function readConfigFile(path: string, env: NodeJS.ProcessEnv = process.env): { config: RadgateConfig; text: string } {
  const source = resolve(path);
  let text: string;
  try {
    text = readFileSync(source, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new ConfigError(source, [
      { code: 'RADGATE_CONFIG_UNREADABLE', path: '', line: undefined, problem: `cannot read the file: ${code}` },
    ]);
  }
  return { config: parseConfig(text, { source, baseDir: dirname(source), env }), text };
}

export function parseConfig(text: string, options: ParseConfigOptions): RadgateConfig {
  const { source, baseDir, env = process.env } = options;
  const parsed = parseYaml(text);
  if ('issues' in parsed) throw new ConfigError(source, inFileOrder(parsed.issues));
  const { data, sourceMap } = parsed;
  if (data === null || data === undefined) {
    throw new ConfigError(source, [
      { code: 'RADGATE_CONFIG_INVALID', path: '', line: undefined, problem: 'the file is empty; at least clients is required' },
    ]);
  }

  // The one validation of every command that reads the file (serve, config check, doctor,
  // the admin commands): the schema, then the loader's own checks on every part the schema
  // found sound, so that one pass reports every problem.
  const schemaErrors = validateSchema(data) ? [] : (validateSchema.errors ?? []);
  const raw = data as unknown as RawConfig;
  const resolver = new Resolver(sourceMap, soundParts(schemaErrors));
  const listen = resolver.listen(raw.listen);
  const clients = resolver.clients(raw.clients, baseDir, env);
  const dictionaryDir = resolver.dictionaryDir(raw.dictionary_dir, baseDir);
  const dictionary = dictionaryDir === undefined ? undefined : resolver.dictionary(dictionaryDir);
  const replies = dictionary === undefined ? undefined : resolver.replies(dictionary, raw.replies);
  // Containers set the store and the key through the environment (SPEC "Configuration").
  const redisUrl = resolver.redis(raw.redis, nonEmpty(env.RADGATE_REDIS_URL));
  resolver.codeLifetimes(raw.codes);
  resolver.pinLengths(raw.policy);
  resolver.validities(raw.challenge);
  const timeZone = resolver.timeZone(raw.time_zone);
  const ops = resolver.ops(raw.ops, baseDir);
  const radsec = resolver.radsec(raw.radsec, baseDir, clients);
  const helpdeskConsole = resolver.console(raw.console, baseDir);
  const selfService = resolver.selfService(raw.self_service, baseDir, raw.sms !== undefined);
  const sms = resolver.sms(raw.sms, baseDir, env);
  const issues = [...schemaErrors.map((error) => describeSchemaError(error, data, sourceMap)), ...resolver.issues];
  if (issues.length > 0 || dictionary === undefined || replies === undefined || ops === undefined) throw new ConfigError(source, inFileOrder(issues));

  const { policy, challenge } = raw;
  return deepFreeze({
    source,
    listen,
    clients,
    dictionaryDir: dictionaryDir ?? defaultDictionaryDir(),
    dictionary,
    replyCache: { ttlSeconds: raw.reply_cache.ttl_seconds, maxEntries: raw.reply_cache.max_entries },
    userCache: { maxUsers: raw.user_cache.max_users },
    requestTimeoutMs: raw.request_timeout_ms,
    log: { level: raw.log.level, format: raw.log.format },
    redis: {
      url: redisUrl,
      commandTimeoutMs: raw.redis.command_timeout_ms,
      keyPrefix: raw.redis.key_prefix,
      embeddedDataDir: resolve(baseDir, raw.redis.embedded.data_dir),
      waitReplicas: raw.redis.wait_replicas,
    },
    keys: {
      file: resolve(baseDir, nonEmpty(env.RADGATE_KEY_FILE) ?? raw.keys.file),
      previousFiles: raw.keys.previous_files.map((file) => resolve(baseDir, file)),
      createIfMissing: raw.keys.create_if_missing,
    },
    policy: {
      maxFailures: policy.max_failures,
      lockoutSeconds: policy.lockout_seconds,
      rejectDelayMs: policy.reject_delay_ms,
      onStoreFailure: policy.on_store_failure,
      pin: { minLength: policy.pin.min_length, maxLength: policy.pin.max_length, charset: policy.pin.charset },
      stripRealm: policy.strip_realm,
      foldCase: policy.fold_case,
      totpWindow: policy.totp_window,
      hotpLookAhead: policy.hotp_look_ahead,
      tokenFound: policy.token_found,
    },
    codes: {
      emergencyTokencode: raw.codes.emergency_tokencode,
      emergencyPasscode: raw.codes.emergency_passcode,
      onlineAuthcode: raw.codes.online_authcode,
    },
    tokenIssuer: raw.tokens.issuer,
    replies: {
      token: replies.token ?? [],
      emergency: replies.emergency ?? [],
      emergencyTokencode: replies.emergency_tokencode,
      emergencyPasscode: replies.emergency_passcode,
      onlineAuthcode: replies.online_authcode,
      offlineAuthcode: replies.offline_authcode,
      temporaryBypass: replies.temporary_bypass,
      reject: replies.reject ?? [],
    },
    challenge: {
      enabled: challenge.enabled,
      pendingSeconds: challenge.pending_seconds,
      prompt: challenge.prompt,
      validities: challenge.validities,
      temporaryBypass: challenge.temporary_bypass,
    },
    timeZone,
    workers: raw.workers === 'auto' ? availableParallelism() : raw.workers,
    ops,
    radsec,
    console: helpdeskConsole,
    selfService,
    sms,
    pidFile: pidFilePath(raw, baseDir, redisUrl),
  } satisfies RadgateConfig);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function inFileOrder(issues: readonly ConfigIssue[]): ConfigIssue[] {
  const unique = new Map<string, ConfigIssue>();
  for (const issue of issues) unique.set(`${issue.line ?? ''}|${issue.path}|${issue.problem}`, issue);
  // Array.prototype.sort is stable, so issues on one line keep the order they were found.
  const order = (issue: ConfigIssue): number => issue.line ?? Number.MAX_SAFE_INTEGER;
  return [...unique.values()].sort((a, b) => order(a) - order(b));
}

/**
 * Freezes plain objects and arrays all the way down. Buffers cannot be frozen (their bytes
 * are always writable) and the Dictionary is an object with its own state: both are left as is.
 */
function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return value;
  const prototype = Object.getPrototypeOf(value) as unknown;
  if (prototype !== Object.prototype && prototype !== Array.prototype) return value;
  for (const child of Object.values(value)) deepFreeze(child);
  return Object.freeze(value);
}
