/**
 * JSON Schema of radgate's YAML file (snake_case, as admins write it).
 *
 * One schema per top-level section, composed in {@link configSchema}: a new section
 * (redis, keys, policy, …) is a new entry in `properties` plus its resolver in load.ts.
 * Every object sets `additionalProperties: false` so a misspelt key is an error that names
 * it instead of a setting silently left at its default.
 *
 * `patternHint` is radgate's own annotation keyword: the sentence an error shows instead of
 * the bare regular expression.
 *
 * The schema checks shape, types, ranges and defaults. What JSON Schema cannot say well
 * (listen strings, CIDR host bits, exactly one secret source, unique client names) is
 * checked by the loader, which can give a message that tells the admin what to write.
 */

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const listenSchema = {
  type: 'array',
  minItems: 1,
  items: { type: 'string', minLength: 1 },
  // Both families, bound separately, so an IPv6-only or IPv4-only host still starts.
  default: ['0.0.0.0:1812', '[::]:1812'],
} as const;

export const clientSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'address'],
  properties: {
    // Appears in logs and as a metrics label, so keep it to a safe, short alphabet.
    name: {
      type: 'string',
      pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$',
      patternHint: "must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit",
    },
    address: { type: 'string', minLength: 1 },
    secret: { type: 'string' },
    secret_file: { type: 'string', minLength: 1 },
    secret_env: {
      type: 'string',
      pattern: '^[A-Za-z_][A-Za-z0-9_]*$',
      patternHint: 'must be the name of an environment variable (letters, digits and _, not starting with a digit)',
    },
    // BlastRADIUS (CVE-2024-3596): on unless the NAS cannot send Message-Authenticator.
    require_message_authenticator: { type: 'boolean', default: true },
    limit_proxy_state: { type: 'boolean', default: true },
    allow_weak_secret: { type: 'boolean', default: false },
  },
} as const;

export const clientsSchema = {
  type: 'array',
  minItems: 1,
  items: clientSchema,
} as const;

export const replyCacheSchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    // RFC 5080 §2.2.2: long enough to outlast a NAS's retransmissions, short enough that a
    // reused Identifier is not mistaken for a duplicate.
    ttl_seconds: { type: 'integer', minimum: 5, maximum: 30, default: 10 },
    max_entries: { type: 'integer', minimum: 1000, default: 100000 },
  },
} as const;

export const logSchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    level: { enum: LOG_LEVELS, default: 'info' },
  },
} as const;

export const configSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['clients'],
  properties: {
    listen: listenSchema,
    clients: clientsSchema,
    // No schema default: the shipped folder depends on where radgate is installed.
    dictionary_dir: { type: 'string', minLength: 1 },
    reply_cache: replyCacheSchema,
    // Must stay below a NAS's own timeout (typically 3–5 s) or it retransmits first.
    request_timeout_ms: { type: 'integer', minimum: 100, maximum: 30000, default: 3000 },
    log: logSchema,
  },
} as const;

/** The document after schema validation and default filling, before resolution. */
export interface RawConfig {
  listen: string[];
  clients: RawClient[];
  dictionary_dir?: string;
  reply_cache: { ttl_seconds: number; max_entries: number };
  request_timeout_ms: number;
  log: { level: (typeof LOG_LEVELS)[number] };
}

export interface RawClient {
  name: string;
  address: string;
  secret?: string;
  secret_file?: string;
  secret_env?: string;
  require_message_authenticator: boolean;
  limit_proxy_state: boolean;
  allow_weak_secret: boolean;
}
