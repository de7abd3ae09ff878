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
}

export interface RadgateConfig {
  /** Absolute path of the file this came from, or a label such as "<inline>". */
  readonly source: string;
  readonly listen: readonly ListenAddress[];
  readonly clients: readonly ClientConfig[];
  /** Directory holding the top-level `dictionary` file. */
  readonly dictionaryDir: string;
  readonly replyCache: ReplyCacheConfig;
  /** Deadline for one request's handler; past it the request is dropped. */
  readonly requestTimeoutMs: number;
  readonly log: LogConfig;
}
