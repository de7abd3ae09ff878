/**
 * The checks of a config file that JSON Schema cannot express (listen addresses, clients and
 * their secrets, dictionaries, reply profiles, the Redis URL, code lifetimes, PIN lengths,
 * validities, the time zone). Issues are collected, not thrown, so that load.ts reports every
 * problem of a file in one pass.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lifetimeProblem, offlineValidityProblem } from '../credentials/codes/lifetime-bounds.js';
import { canonicalTimeZone, hostTimeZone } from '../credentials/time-zone.js';
import type { Dictionary } from '../protocol/dictionary/dictionary.js';
import { loadDictionary } from '../protocol/dictionary/load.js';
import { prepareReplyAttribute, type ReplyAttribute } from '../protocol/reply-attribute.js';
import { CidrError, parseCidr } from './cidr.js';
import type { ConfigErrorCode, ConfigIssue } from './errors.js';
import { ListenError, parseListen } from './listen.js';
import { resolveConsole, resolveSelfService, tcpListen } from './web-listener-checks.js';
import { formatKeyPath, type KeyPath, type SourceMap } from './locate.js';
import { parseRedisUrl, RedisUrlError } from './redis-url.js';
import type { RawClient, RawConfig, RawReplyAttribute } from './schema.js';
import { resolveRadsec } from './radsec-checks.js';
import { readSecretFile, resolveSecret } from './secrets.js';
import type { SmsConfig } from './sms-config.js';
import { resolveSms } from './sms-checks.js';
import type { ClientConfig, ConsoleConfig, ListenAddress, OpsConfig, RadsecConfig, SelfServiceConfig } from './types.js';

/** The ops listener's port when `ops.listen` names only an address. */
export const DEFAULT_OPS_PORT = 9812;

/**
 * The `dictionaries/` folder shipped with radgate. This file compiles to
 * dist/src/config/load.js, three levels below the package root.
 */
export function defaultDictionaryDir(): string {
  return fileURLToPath(new URL('../../../dictionaries/', import.meta.url)).replace(/[\\/]$/, '');
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
export class Resolver {
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

  /** The helpdesk console (web-listener-checks.ts). */
  console(raw: RawConfig['console'], baseDir: string): ConsoleConfig | undefined {
    if (raw === undefined || !this.sound(['console'])) return undefined;
    return resolveConsole(raw, baseDir, (code, path, problem) => this.report(code, path, problem));
  }

  /** The self-service pages (web-listener-checks.ts). */
  selfService(raw: RawConfig['self_service'], baseDir: string, smsConfigured: boolean): SelfServiceConfig | undefined {
    if (raw === undefined || !this.sound(['self_service'])) return undefined;
    return resolveSelfService(raw, baseDir, smsConfigured, (code, path, problem) => this.report(code, path, problem));
  }

  /**
   * The ops listener: one TCP address (or `off`), and the credentials its auth needs, read
   * from a file so they stay out of the YAML and of `ps`.
   */
  ops(raw: RawConfig['ops'] | undefined, baseDir: string): OpsConfig | undefined {
    if (raw === undefined || !this.sound(['ops'])) return undefined;
    const listen = tcpListen(raw.listen, ['ops', 'listen'], DEFAULT_OPS_PORT, (code, path, problem) => this.report(code, path, problem));
    if (raw.auth === 'none') {
      if (raw.credentials_file !== undefined) this.report('RADGATE_CONFIG_INVALID', ['ops', 'credentials_file'], 'is only read with auth: basic or bearer');
      return { listen, auth: 'none', credentials: undefined };
    }
    if (raw.credentials_file === undefined) {
      this.report('RADGATE_CONFIG_INVALID', ['ops', 'auth'], `${raw.auth} needs credentials_file (${raw.auth === 'basic' ? 'one line "user:password"' : 'the token'})`);
      return undefined;
    }
    const path = resolve(baseDir, raw.credentials_file);
    const credentials = readSecretFile(path);
    if (typeof credentials === 'string') {
      this.report('RADGATE_CONFIG_SECRET', ['ops', 'credentials_file'], `cannot read ${path}: ${credentials}`);
      return undefined;
    }
    // RFC 7617 §2: the user-id of basic auth cannot contain a colon, so the first one splits.
    if (raw.auth === 'basic' && credentials.indexOf(0x3a) < 1) {
      this.report('RADGATE_CONFIG_SECRET', ['ops', 'credentials_file'], `${path} must hold one line "user:password"`);
      return undefined;
    }
    if (credentials.length === 0) {
      this.report('RADGATE_CONFIG_SECRET', ['ops', 'credentials_file'], `${path} is empty`);
      return undefined;
    }
    return { listen, auth: raw.auth, credentials };
  }

  /** The TLS listener (radsec-checks.ts); its PSKs are compared with the UDP clients' secrets. */
  radsec(raw: RawConfig['radsec'], baseDir: string, udpClients: readonly ClientConfig[]): RadsecConfig | undefined {
    if (raw === undefined || !this.sound(['radsec'])) return undefined;
    return resolveRadsec(raw, baseDir, udpClients, (code, path, problem) => this.report(code, path, problem));
  }

  /** How self-service codes reach a phone (sms-checks.ts); undefined when the file has no `sms` section. */
  sms(raw: RawConfig['sms'], baseDir: string, env: NodeJS.ProcessEnv): SmsConfig | undefined {
    if (raw === undefined || !this.sound(['sms'])) return undefined;
    return resolveSms(raw, baseDir, env, (code, path, problem) => this.report(code, path, problem));
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

  /** The zone as ICU names it; a name ICU does not know would count every validity wrongly. */
  timeZone(configured: string | undefined): string {
    if (configured === undefined || !this.sound(['time_zone'])) return hostTimeZone();
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
