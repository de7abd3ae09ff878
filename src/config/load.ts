/**
 * Reads radgate's YAML configuration, validates it once against the schema, resolves
 * secrets and paths, and returns a deep-frozen {@link RadgateConfig}.
 *
 * Every problem is collected before throwing, so an admin fixes the file in one pass, and
 * each one names the file, the line and the key path.
 */
import { readFileSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { CidrError, parseCidr } from './cidr.js';
import { ConfigError, type ConfigErrorCode, type ConfigIssue } from './errors.js';
import { ListenError, parseListen } from './listen.js';
import { formatKeyPath, type KeyPath, type SourceMap } from './locate.js';
import { configSchema, type RawClient, type RawConfig, type RawReplyAttribute } from './schema.js';
import type { Dictionary } from '../protocol/dictionary/dictionary.js';
import { loadDictionary } from '../protocol/dictionary/load.js';
import { prepareReplyAttribute, type ReplyAttribute } from '../protocol/reply-attribute.js';
import { lifetimeProblem, offlineValidityProblem } from '../credentials/codes/lifetime-bounds.js';
import { parseRedisUrl, RedisUrlError } from './redis-url.js';
import { describeSchemaError, soundParts } from './schema-errors.js';
import { resolveSecret } from './secrets.js';
import type { ClientConfig, ListenAddress, RadgateConfig } from './types.js';
import { parseYaml } from './yaml-syntax.js';

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

/**
 * The `dictionaries/` folder shipped with radgate. This file compiles to
 * dist/src/config/load.js, three levels below the package root.
 */
export function defaultDictionaryDir(): string {
  return fileURLToPath(new URL('../../../dictionaries/', import.meta.url)).replace(/[\\/]$/, '');
}

/** Reads and parses a config file; relative paths inside it resolve against its folder. */
export function loadConfigFile(path: string, env: NodeJS.ProcessEnv = process.env): RadgateConfig {
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
  return parseConfig(text, { source, baseDir: dirname(source), env });
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
  const issues = [...schemaErrors.map((error) => describeSchemaError(error, data, sourceMap)), ...resolver.issues];
  if (issues.length > 0 || dictionary === undefined || replies === undefined) throw new ConfigError(source, inFileOrder(issues));

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
    log: { level: raw.log.level },
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
    workers: raw.workers === 'auto' ? availableParallelism() : raw.workers,
  } satisfies RadgateConfig);
}

/** Where the schema found a problem a value may have any shape: only lists are walked. */
function listOf<T>(value: readonly T[] | undefined): readonly T[] {
  return Array.isArray(value) ? value : [];
}

/**
 * The checks JSON Schema cannot express; one method per section, issues collected. Each
 * looks only at the parts the schema found sound (`sound`), whose values have the schema's
 * shape; what it returns is used only once the whole file is valid.
 */
class Resolver {
  readonly issues: ConfigIssue[] = [];

  constructor(
    private readonly sourceMap: SourceMap,
    private readonly sound: (path: KeyPath) => boolean,
  ) {}

  listen(entries: readonly string[]): ListenAddress[] {
    const out: ListenAddress[] = [];
    const seen = new Map<string, number>();
    listOf(entries).forEach((text, i) => {
      if (!this.sound(['listen', i])) return;
      let addresses: ListenAddress[];
      try {
        addresses = parseListen(text);
      } catch (error) {
        if (!(error instanceof ListenError)) throw error;
        this.report('RADGATE_CONFIG_INVALID', ['listen', i], error.message);
        return;
      }
      for (const address of addresses) {
        // Port 0 asks the OS for a fresh port each time, so repeating it is not a clash.
        const key = `${socketHost(address)} ${address.port}`;
        const earlier = seen.get(key);
        if (address.port !== 0 && earlier !== undefined) {
          this.report(
            'RADGATE_CONFIG_INVALID',
            ['listen', i],
            `${JSON.stringify(text)} repeats listen[${earlier}]; each address and port can be bound once`,
          );
          continue;
        }
        seen.set(key, i);
        out.push(address);
      }
    });
    return out;
  }

  clients(entries: readonly RawClient[], baseDir: string, env: NodeJS.ProcessEnv): ClientConfig[] {
    const out: ClientConfig[] = [];
    const names = new Map<string, number>();
    const networks = new Map<string, number>();
    listOf(entries).forEach((client, i) => {
      if (!this.sound(['clients', i])) return;
      const earlierName = names.get(client.name);
      if (earlierName === undefined) names.set(client.name, i);
      else {
        this.report(
          'RADGATE_CONFIG_INVALID',
          ['clients', i, 'name'],
          `${JSON.stringify(client.name)} is already the name of clients[${earlierName}]${this.onLine(['clients', earlierName, 'name'])}; names must be unique`,
        );
      }

      try {
        const cidr = parseCidr(client.address);
        const key = `${cidr.network.toString('hex')}/${cidr.prefixLength}`;
        const earlier = networks.get(key);
        if (earlier === undefined) networks.set(key, i);
        else {
          // A source address must map to exactly one secret (RFC 2865 §3).
          this.report(
            'RADGATE_CONFIG_INVALID',
            ['clients', i, 'address'],
            `${JSON.stringify(client.address)} is the same network as clients[${earlier}]${this.onLine(['clients', earlier, 'address'])}; merge the two entries`,
          );
        }
      } catch (error) {
        if (!(error instanceof CidrError)) throw error;
        this.report('RADGATE_CONFIG_INVALID', ['clients', i, 'address'], error.message);
      }

      const secret = resolveSecret(client, baseDir, env);
      if ('problem' in secret) {
        const at = (key: string | undefined): KeyPath => (key === undefined ? ['clients', i] : ['clients', i, key]);
        this.report(secret.code, at(secret.key), secret.problem, this.sourceMap.lineOf(at(secret.lineKey)));
        return;
      }
      out.push({
        name: client.name,
        address: client.address,
        secret: secret.secret,
        secretSource: secret.source,
        requireMessageAuthenticator: client.require_message_authenticator,
        limitProxyState: client.limit_proxy_state,
        allowWeakSecret: client.allow_weak_secret,
      });
    });
    return out;
  }

  dictionaryDir(configured: string | undefined, baseDir: string): string | undefined {
    if (!this.sound(['dictionary_dir'])) return undefined;
    // The shipped folder is radgate's own business; a configured one is checked here so the
    // admin learns about a typo with its line, not later from the dictionary parser.
    if (configured === undefined) return defaultDictionaryDir();
    const dir = resolve(baseDir, configured);
    let problem: string | undefined;
    try {
      if (!statSync(dir).isDirectory()) problem = `${dir} is not a directory`;
    } catch (error) {
      problem = `cannot read ${dir}: ${(error as NodeJS.ErrnoException).code ?? 'unknown error'}`;
    }
    if (problem === undefined) return dir;
    this.report('RADGATE_CONFIG_INVALID', ['dictionary_dir'], problem);
    return undefined;
  }

  /** The store's URL, parsed as the store parses it. RADGATE_REDIS_URL replaces redis.url, so its problems name the variable. */
  redis(raw: RawConfig['redis'], fromEnv: string | undefined): string | undefined {
    const url = fromEnv ?? (this.sound(['redis', 'url']) ? raw.url : undefined);
    try {
      if (url !== undefined) parseRedisUrl(url);
    } catch (error) {
      if (!(error instanceof RedisUrlError)) throw error;
      if (fromEnv === undefined) this.report('RADGATE_CONFIG_INVALID', ['redis', 'url'], error.message);
      else this.issues.push({ code: 'RADGATE_CONFIG_INVALID', path: 'RADGATE_REDIS_URL', line: undefined, problem: `${error.message} (the variable replaces redis.url)` });
    }
    if (this.sound(['redis', 'wait_replicas']) && raw.wait_replicas > 0 && url?.startsWith('redis+cluster://') === true) {
      // WAIT names no key: ioredis would send it to any master, not the one that took the write.
      this.report('RADGATE_CONFIG_INVALID', ['redis', 'wait_replicas'], 'is not supported with redis+cluster:// (WAIT cannot be routed to the master that took the write); set it to 0');
    }
    return url;
  }

  /** Each kind's default lifetime must be one an issue can use: a default outside the bounds would make every issue of the kind fail. */
  codeLifetimes(raw: RawConfig['codes']): void {
    for (const [key, kind] of [['emergency_tokencode', 'emergency-tokencode'], ['emergency_passcode', 'emergency-passcode'], ['online_authcode', 'online-authcode']] as const) {
      if (!this.sound(['codes', key, 'lifetime'])) continue;
      const problem = lifetimeProblem(kind, raw[key].lifetime);
      if (problem !== undefined) this.report('RADGATE_CONFIG_INVALID', ['codes', key, 'lifetime'], problem);
    }
  }

  pinLengths(raw: RawConfig['policy']): void {
    if (!this.sound(['policy', 'pin', 'min_length']) || !this.sound(['policy', 'pin', 'max_length'])) return;
    if (raw.pin.min_length > raw.pin.max_length) {
      this.report('RADGATE_CONFIG_INVALID', ['policy', 'pin', 'min_length'], `is above policy.pin.max_length (${raw.pin.max_length})`);
    }
  }

  validities(raw: RawConfig['challenge'] | null): void {
    listOf(raw?.validities).forEach((validity, i) => {
      if (!this.sound(['challenge', 'validities', i])) return;
      const problem = offlineValidityProblem(validity);
      if (problem !== undefined) this.report('RADGATE_CONFIG_INVALID', ['challenge', 'validities', i], problem);
    });
  }

  /** The dictionaries named by dictionary_dir; a file that does not parse is reported with its line. */
  dictionary(dictionaryDir: string): Dictionary | undefined {
    try {
      return loadDictionary(dictionaryDir);
    } catch (error) {
      this.report('RADGATE_CONFIG_INVALID', ['dictionary_dir'], error instanceof Error ? error.message : String(error));
      return undefined;
    }
  }

  /** Every reply attribute must exist in the dictionaries and encode: prepared once, here. */
  replies(dictionary: Dictionary, raw: RawConfig['replies']): Partial<Record<keyof RawConfig['replies'], ReplyAttribute[]>> {
    const prepared: Partial<Record<keyof RawConfig['replies'], ReplyAttribute[]>> = {};
    if (typeof raw !== 'object' || raw === null) return prepared;
    for (const [profile, attributes] of Object.entries(raw) as [keyof RawConfig['replies'], RawReplyAttribute[] | undefined][]) {
      if (attributes !== undefined) prepared[profile] = this.replyList(dictionary, profile, attributes);
    }
    return prepared;
  }

  private replyList(dictionary: Dictionary, profile: string, attributes: readonly RawReplyAttribute[]): ReplyAttribute[] {
    const prepared: ReplyAttribute[] = [];
    listOf(attributes).forEach((attribute, i) => {
      if (!this.sound(['replies', profile, i])) return;
      try {
        prepared.push(prepareReplyAttribute(dictionary, attribute));
      } catch (error) {
        const problem = error instanceof Error ? error.message : String(error);
        this.report('RADGATE_CONFIG_INVALID', ['replies', profile, i, /unknown attribute/.test(problem) ? 'name' : 'value'], problem);
      }
    });
    return prepared;
  }

  private report(code: ConfigErrorCode, path: KeyPath, problem: string, line = this.sourceMap.lineOf(path)): void {
    this.issues.push({ code, path: formatKeyPath(path), line, problem });
  }

  private onLine(path: KeyPath): string {
    const line = this.sourceMap.lineOf(path);
    return line === undefined ? '' : ` on line ${line}`;
  }
}

/** Canonical form of a bind address, so "[::]" and "[0::0]" count as the same socket. */
function socketHost(address: ListenAddress): string {
  try {
    return parseCidr(address.host).network.toString('hex');
  } catch {
    return address.host; // a zone index ("fe80::1%eth0") has no canonical form here
  }
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
