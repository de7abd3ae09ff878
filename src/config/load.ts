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
import { canonicalTimeZone, hostTimeZone } from '../credentials/time-zone.js';
import { describeSchemaError } from './schema-errors.js';
import { resolveSecret } from './secrets.js';
import type { ChallengeConfig, ClientConfig, ListenAddress, PolicyConfig, RadgateConfig } from './types.js';
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

  if (!validateSchema(data)) {
    const issues = (validateSchema.errors ?? []).map((error) => describeSchemaError(error, data, sourceMap));
    throw new ConfigError(source, inFileOrder(issues));
  }
  const raw = data as unknown as RawConfig;

  const resolver = new Resolver(sourceMap);
  const dictionaryDir = resolver.dictionaryDir(raw.dictionary_dir, baseDir);
  const dictionary = resolver.issues.length === 0 ? resolver.dictionary(dictionaryDir) : undefined;
  const replies = (list: readonly RawReplyAttribute[] | undefined, profile: string): readonly ReplyAttribute[] | undefined =>
    list === undefined || dictionary === undefined ? undefined : resolver.replyList(dictionary, profile, list);
  const config: Omit<RadgateConfig, 'dictionary'> = {
    source,
    listen: resolver.listen(raw.listen),
    clients: resolver.clients(raw.clients, baseDir, env),
    dictionaryDir,
    replyCache: { ttlSeconds: raw.reply_cache.ttl_seconds, maxEntries: raw.reply_cache.max_entries },
    userCache: { maxUsers: raw.user_cache.max_users },
    requestTimeoutMs: raw.request_timeout_ms,
    log: { level: raw.log.level },
    redis: {
      // Containers set the store and the key through the environment (SPEC "Configuration").
      url: nonEmpty(env.RADGATE_REDIS_URL) ?? raw.redis.url,
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
    policy: resolver.policy(raw.policy),
    codes: {
      emergencyTokencode: raw.codes.emergency_tokencode,
      emergencyPasscode: raw.codes.emergency_passcode,
      onlineAuthcode: raw.codes.online_authcode,
    },
    tokenIssuer: raw.tokens.issuer,
    replies: {
      token: replies(raw.replies.token, 'token') ?? [],
      emergency: replies(raw.replies.emergency, 'emergency') ?? [],
      emergencyTokencode: replies(raw.replies.emergency_tokencode, 'emergency_tokencode'),
      emergencyPasscode: replies(raw.replies.emergency_passcode, 'emergency_passcode'),
      onlineAuthcode: replies(raw.replies.online_authcode, 'online_authcode'),
      offlineAuthcode: replies(raw.replies.offline_authcode, 'offline_authcode'),
      temporaryBypass: replies(raw.replies.temporary_bypass, 'temporary_bypass'),
      reject: replies(raw.replies.reject, 'reject') ?? [],
    },
    challenge: resolver.challenge(raw.challenge),
    timeZone: resolver.timeZone(raw.time_zone),
    workers: raw.workers === 'auto' ? availableParallelism() : raw.workers,
  };
  if (config.redis.waitReplicas > 0 && config.redis.url?.startsWith('redis+cluster://') === true) {
    // WAIT names no key: ioredis would send it to any master, not the one that took the write.
    resolver.issues.push({
      code: 'RADGATE_CONFIG_INVALID',
      path: 'redis.wait_replicas',
      line: sourceMap.lineOf(['redis', 'wait_replicas']),
      problem: 'is not supported with redis+cluster:// (WAIT cannot be routed to the master that took the write); set it to 0',
    });
  }
  if (resolver.issues.length > 0 || dictionary === undefined) throw new ConfigError(source, inFileOrder(resolver.issues));
  return deepFreeze({ ...config, dictionary });
}

/** The checks JSON Schema cannot express; one method per section, issues collected. */
class Resolver {
  readonly issues: ConfigIssue[] = [];

  constructor(private readonly sourceMap: SourceMap) {}

  listen(entries: readonly string[]): ListenAddress[] {
    const out: ListenAddress[] = [];
    const seen = new Map<string, number>();
    entries.forEach((text, i) => {
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
    entries.forEach((client, i) => {
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

  dictionaryDir(configured: string | undefined, baseDir: string): string {
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
    if (problem !== undefined) this.report('RADGATE_CONFIG_INVALID', ['dictionary_dir'], problem);
    return dir;
  }

  policy(raw: RawConfig['policy']): PolicyConfig {
    if (raw.pin.min_length > raw.pin.max_length) {
      this.report('RADGATE_CONFIG_INVALID', ['policy', 'pin', 'min_length'], `is above policy.pin.max_length (${raw.pin.max_length})`);
    }
    return {
      maxFailures: raw.max_failures,
      lockoutSeconds: raw.lockout_seconds,
      rejectDelayMs: raw.reject_delay_ms,
      onStoreFailure: raw.on_store_failure,
      pin: { minLength: raw.pin.min_length, maxLength: raw.pin.max_length, charset: raw.pin.charset },
      stripRealm: raw.strip_realm,
      foldCase: raw.fold_case,
      totpWindow: raw.totp_window,
      hotpLookAhead: raw.hotp_look_ahead,
      tokenFound: raw.token_found,
    };
  }

  challenge(raw: RawConfig['challenge']): ChallengeConfig {
    raw.validities.forEach((validity, i) => {
      // IBM: an authorization code is valid one day to 31 days, or one calendar month.
      const days = /^(\d+)d$/.exec(validity);
      if (validity !== '1month' && (days === null || Number(days[1]) < 1 || Number(days[1]) > 31)) {
        this.report('RADGATE_CONFIG_INVALID', ['challenge', 'validities', i], `${JSON.stringify(validity)} is not 1d to 31d or 1month`);
      }
    });
    return {
      enabled: raw.enabled,
      pendingSeconds: raw.pending_seconds,
      prompt: raw.prompt,
      validities: raw.validities,
      temporaryBypass: raw.temporary_bypass,
    };
  }

  /** The zone as ICU names it; a name ICU does not know would count every validity wrongly. */
  timeZone(configured: string | undefined): string {
    if (configured === undefined) return hostTimeZone();
    const zone = canonicalTimeZone(configured);
    if (zone === undefined) {
      this.report(
        'RADGATE_CONFIG_INVALID',
        ['time_zone'],
        `${JSON.stringify(configured)} is not a time zone: write an IANA name such as Europe/Berlin, America/Los_Angeles or UTC (timedatectl list-timezones)`,
      );
    }
    return zone ?? 'UTC';
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
  replyList(dictionary: Dictionary, profile: string, attributes: readonly RawReplyAttribute[]): ReplyAttribute[] {
    const prepared: ReplyAttribute[] = [];
    attributes.forEach((attribute, i) => {
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
