import type { Dictionary } from '../protocol/dictionary/dictionary.js';
import type { ReplyAttribute } from '../protocol/reply-attribute.js';
import type { SmsConfig } from './sms-config.js';

export type { SmsCommandConfig, SmsConfig, SmsWebhookConfig } from './sms-config.js';

/**
 * The validated, resolved configuration the rest of radgate receives.
 *
 * The YAML file uses snake_case keys (what admins type); this is the camelCase shape
 * after schema validation, default filling and secret resolution. Every object is
 * frozen by the loader, so code receives a `Readonly` view and nothing can change it
 * after start-up.
 */

/**
 * One UDP listener, parsed from "0.0.0.0:1812", "[::]:1812", "127.0.0.1" (port 1812) or
 * ":1812" (which yields two listeners, 0.0.0.0 and ::, like the default). IPv4 and IPv6
 * wildcards are listed separately, so an IPv6 socket should be bound with `ipv6Only`.
 */
export interface ListenAddress {
  readonly host: string;
  readonly port: number;
  readonly family: 4 | 6;
}

export interface ClientConfig {
  readonly name: string;
  /** As written in the config: an IP address or a CIDR block, IPv4 or IPv6. */
  readonly address: string;
  /** The shared secret, resolved from `secret`, `secret_file` or `secret_env`. */
  readonly secret: Buffer;
  /** Where the secret came from, for messages that must never show the secret itself. */
  readonly secretSource: string;
  readonly requireMessageAuthenticator: boolean;
  readonly limitProxyState: boolean;
  readonly allowWeakSecret: boolean;
}

export interface ReplyCacheConfig {
  /** How long a reply is kept for retransmissions (RFC 5080 §2.2.2), 5–30 s. */
  readonly ttlSeconds: number;
  /** Upper bound on cached entries; the oldest are evicted first. */
  readonly maxEntries: number;
}

export interface LogConfig {
  readonly level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** `auto`: pretty lines on a terminal, JSON lines otherwise (for collectors). */
  readonly format: 'auto' | 'json' | 'pretty';
}

export interface RedisConfig {
  /**
   * `redis://`, `rediss://`, `unix://`, `redis+sentinel://` or `redis+cluster://`; env
   * RADGATE_REDIS_URL overrides it. Undefined: radgate runs a private redis-server itself.
   */
  readonly url: string | undefined;
  /** Per-command timeout, below the NAS timeout: a slow store means no reply, never a late one. */
  readonly commandTimeoutMs: number;
  readonly keyPrefix: string;
  /** Data directory of the private redis-server used when no URL is set. */
  readonly embeddedDataDir: string;
  /** Replicas that must acknowledge (WAIT) each decision before it is answered; 0: none. */
  readonly waitReplicas: number;
}

export interface KeysConfig {
  /** The master key file (32 bytes); env RADGATE_KEY_FILE overrides it. */
  readonly file: string;
  /** Earlier key files, still accepted for verification after a rotation. */
  readonly previousFiles: readonly string[];
  /** Create the key file at start when it is missing (the loopback quick start only). */
  readonly createIfMissing: boolean;
}

export interface PinPolicyConfig {
  readonly minLength: number;
  readonly maxLength: number;
  readonly charset: 'digits' | 'alphanumeric';
}

export interface PolicyConfig {
  /** Consecutive failures (all methods together) that lock a user; at most 100. */
  readonly maxFailures: number;
  /** How long a lockout lasts; 0 means until an admin unlocks. */
  readonly lockoutSeconds: number;
  /** Access-Reject is sent this long after the decision, without holding up other requests. */
  readonly rejectDelayMs: number;
  /** What to do when Redis cannot answer: stay silent (the NAS fails over) or reject. */
  readonly onStoreFailure: 'drop' | 'reject';
  readonly pin: PinPolicyConfig;
  /** `alice@corp` and `CORP\alice` become `alice`. */
  readonly stripRealm: boolean;
  /** User names are compared in lower case. */
  readonly foldCase: boolean;
  /** TOTP steps accepted either side of now (RFC 6238 §5.2). */
  readonly totpWindow: number;
  /** HOTP counters tried ahead of the last one used (RFC 4226 §7.4). */
  readonly hotpLookAhead: number;
  /**
   * RSA's three options for a tokencode from a token marked lost: refuse it until an admin
   * marks it found; accept it, end the lost state and revoke outstanding emergency codes;
   * or accept it only once no emergency code is active any more.
   */
  readonly tokenFound: 'deny' | 'allow-and-revoke' | 'allow-after-expiry';
}

/** IBM's offline authorization codes, carried by Access-Challenge (SPEC "Challenge flow"). */
export interface ChallengeConfig {
  /** Answer the PIN alone with a challenge. Default false. */
  readonly enabled: boolean;
  /** How long a request code stays pending (and its State valid). */
  readonly pendingSeconds: number;
  /** Reply-Message of the challenge; `{request_code}` is replaced by the grouped request code. */
  readonly prompt: string;
  /** The validities the helpdesk may grant, as lifetimes ("1d", "1month"). */
  readonly validities: readonly string[];
  /** IBM's password-only lock: a used authorization code lets the PIN alone in until it ends. */
  readonly temporaryBypass: boolean;
}

export interface CodeKindConfig {
  readonly alphabet: 'digits' | 'hex' | 'unambiguous';
  readonly length: number;
  /** Lifetime when `code issue` gives none: "24h", "3d", "1month". */
  readonly lifetime: string;
}

export interface CodesConfig {
  readonly emergencyTokencode: CodeKindConfig;
  readonly emergencyPasscode: CodeKindConfig;
  readonly onlineAuthcode: CodeKindConfig;
}

/**
 * Attributes added to an Access-Accept, by how the user got in, as the loader prepared them
 * against the dictionaries (encoded once; encrypted ones by name, encoded per reply).
 */
export interface RepliesConfig {
  readonly token: readonly ReplyAttribute[];
  /** Every emergency method, unless it has its own list below. */
  readonly emergency: readonly ReplyAttribute[];
  readonly emergencyTokencode: readonly ReplyAttribute[] | undefined;
  readonly emergencyPasscode: readonly ReplyAttribute[] | undefined;
  readonly onlineAuthcode: readonly ReplyAttribute[] | undefined;
  readonly offlineAuthcode: readonly ReplyAttribute[] | undefined;
  readonly temporaryBypass: readonly ReplyAttribute[] | undefined;
  /** Added to every Access-Reject (e.g. a Reply-Message); never echoes user input. */
  readonly reject: readonly ReplyAttribute[];
}

/** The operations HTTP listener: /metrics, /health, /ready (README "Operations"). */
export interface OpsConfig {
  /** Where it listens; undefined when `ops.listen` is `off`. */
  readonly listen: ListenAddress | undefined;
  readonly auth: 'none' | 'basic' | 'bearer';
  /** basic: the bytes of "user:password"; bearer: the token. Never logged; undefined for `none`. */
  readonly credentials: Buffer | undefined;
}

/** How a RadSec peer proves who it is (README "RadSec"). */
export type RadsecIdentity =
  | {
      readonly kind: 'certificate';
      /** The PEM of the CA that must have issued the peer's certificate. */
      readonly ca: Buffer;
      /** That CA's SHA-256 fingerprint, as node:crypto prints it, to tell which CA issued a chain. */
      readonly caFingerprint: string;
      /** A name the certificate must carry: a subjectAltName, or the subject CN when it has none; `*.` matches one label. */
      readonly certificateName: string;
    }
  | {
      readonly kind: 'psk';
      readonly identity: string;
      /** The pre-shared key; never logged. */
      readonly key: Buffer;
    };

export interface RadsecClientConfig {
  /** What the request pipeline sees: the name, and the fixed secret `radsec` (RFC 6614 §2.3). */
  readonly radius: ClientConfig;
  readonly identity: RadsecIdentity;
  /** The address or network the peer must connect from; undefined: any. */
  readonly address: string | undefined;
}

/** RADIUS over TLS (RFC 6614, draft-ietf-radext-radiusdtls-bis); see schema.ts. */
export interface RadsecConfig {
  readonly listen: readonly ListenAddress[];
  /** The gateway's certificate chain and key (PEM); undefined when every client uses a PSK. */
  readonly certificate: Buffer | undefined;
  readonly key: Buffer | undefined;
  /** Every CRL of `crl_file`, one PEM block each (one per CA, typically); OpenSSL takes them all. */
  readonly crl: readonly Buffer[] | undefined;
  readonly handshakeTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly maxConnections: number;
  readonly maxConnectionsPerClient: number;
  readonly maxHandshakesPerAddress: number;
  readonly maxHandshakesInProgress: number;
  readonly maxHandshakesPerSecond: number;
  readonly maxHandshakesPerSecondPerAddress: number;
  readonly clients: readonly RadsecClientConfig[];
}

/** The helpdesk console's HTTPS listener (README "Helpdesk console"). */
export interface ConsoleConfig {
  /** Where it listens; undefined when `console.listen` is `off`. */
  readonly listen: ListenAddress | undefined;
  /** PEM bytes of the certificate chain and of its private key (never logged). */
  readonly certificate: Buffer;
  readonly key: Buffer;
  readonly certificateFile: string;
  readonly keyFile: string;
  /** A session unused this long ends (idle timeout). */
  readonly sessionIdleSeconds: number;
  /** A session ends this long after sign-in, however busy. */
  readonly sessionMaxSeconds: number;
  /** Consecutive failed sign-ins (password or TOTP) that lock an operator account. */
  readonly loginMaxFailures: number;
  /** How long such a lock lasts; 0: until an admin unlocks the operator. */
  readonly loginLockoutSeconds: number;
  /** Sign-in attempts per minute from one address. */
  readonly loginAttemptsPerSourcePerMinute: number;
  /** An SSO reverse proxy whose header names the operator; undefined: local sign-in only. */
  readonly trustedProxy: { readonly address: string; readonly header: string } | undefined;
}

/** The self-service pages' HTTPS listener and the service behind them (README "Self-service"). */
export interface SelfServiceConfig {
  /** Where it listens; undefined when `self_service.listen` is `off`. */
  readonly listen: ListenAddress | undefined;
  /** PEM bytes of the certificate chain and of its private key (never logged). */
  readonly certificate: Buffer;
  readonly key: Buffer;
  readonly certificateFile: string;
  readonly keyFile: string;
  /** Form posts per minute from one client address. */
  readonly requestsPerSourcePerMinute: number;
  /** The reverse proxy whose header names the client's address; undefined: the peer's address is the client's. */
  readonly trustedProxy: { readonly address: string; readonly header: string } | undefined;
  /** The settings of the service behind the pages (answer time, code lifetime, per-user limit). */
  readonly service: {
    readonly answerMs: number;
    readonly codeLifetime: string;
    readonly requestsPerUserPerHour: number;
  };
}

export interface RadgateConfig {
  /** Absolute path of the file this came from, or a label such as "<inline>". */
  readonly source: string;
  readonly listen: readonly ListenAddress[];
  readonly clients: readonly ClientConfig[];
  /** Directory holding the top-level `dictionary` file. */
  readonly dictionaryDir: string;
  /** The dictionaries in that directory, loaded once by the config loader. */
  readonly dictionary: Dictionary;
  readonly replyCache: ReplyCacheConfig;
  /** Copies of user records held by each gateway process (see login/user-copies.ts). */
  readonly userCache: { readonly maxUsers: number };
  /** Deadline for one request's handler; past it the request is dropped. */
  readonly requestTimeoutMs: number;
  readonly log: LogConfig;
  readonly redis: RedisConfig;
  readonly keys: KeysConfig;
  readonly policy: PolicyConfig;
  readonly codes: CodesConfig;
  /** Issuer shown by authenticator apps for enrolled tokens. */
  readonly tokenIssuer: string;
  readonly replies: RepliesConfig;
  readonly challenge: ChallengeConfig;
  /**
   * The helpdesk's time zone, an IANA name as ICU spells it (SPEC "Time"): day and month
   * validities are counted in it and the CLI shows dates in it. `time_zone` in the file;
   * the host's zone when absent.
   */
  readonly timeZone: string;
  /** Gateway processes sharing the listeners (Node cluster); `auto` in the file means one per core. */
  readonly workers: number;
  readonly ops: OpsConfig;
  /** The TLS listener; undefined when the file has no `radsec` section. */
  readonly radsec: RadsecConfig | undefined;
  /** The helpdesk console; undefined when the file has no `console` section. */
  readonly console: ConsoleConfig | undefined;
  /** The self-service pages; undefined when the file has no `self_service` section. */
  readonly selfService: SelfServiceConfig | undefined;
  /**
   * How codes are sent by SMS (self-service, `code issue --send-sms`); undefined when the file
   * has no `sms` section. A reload reports a change as needing a restart: the self-service
   * pages' sender is made at start (config/reload-diff.ts lists what is live).
   */
  readonly sms: SmsConfig | undefined;
  /**
   * Where `serve` writes its pid, for `radgate reload` (config/pid-file.ts): `pid_file`, or
   * radgate.pid in the embedded Redis's data directory; undefined with redis.url and no
   * pid_file (a service manager then knows the pid itself).
   */
  readonly pidFile: string | undefined;
}
