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
import { consoleSchema, type RawConsole } from './console-schema.js';
import { selfServiceSchema, type RawSelfService } from './self-service-schema.js';

import { radsecSchema, type RawRadsec } from './radsec-schema.js';
import { smsSchema, type RawSms } from './sms-schema.js';

export type { RawRadsec, RawRadsecClient } from './radsec-schema.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const LOG_FORMATS = ['auto', 'json', 'pretty'] as const;

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

export const userCacheSchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    // 0 turns the copies off: every login then reads the user record first (two round trips).
    max_users: { type: 'integer', minimum: 0, maximum: 10000000, default: 100000 },
  },
} as const;

export const logSchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    level: { enum: LOG_LEVELS, default: 'info' },
    format: { enum: LOG_FORMATS, default: 'auto' },
  },
} as const;

export const redisSchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    // No default: without a URL radgate runs a private redis-server (the embedded default).
    url: { type: 'string', minLength: 1 },
    // Below a NAS's timeout (typically 3–5 s), so a slow store means silence, not a late answer.
    command_timeout_ms: { type: 'integer', minimum: 50, maximum: 5000, default: 500 },
    key_prefix: {
      type: 'string',
      pattern: '^[A-Za-z0-9_.:-]{0,32}$',
      patternHint: "must be up to 32 letters, digits, '_', '.', ':' or '-'",
      default: 'rg:',
    },
    embedded: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: { data_dir: { type: 'string', minLength: 1, default: '/var/lib/radgate/redis' } },
    },
    // With replicas (Sentinel), WAIT makes an answered consume survive a failover.
    wait_replicas: { type: 'integer', minimum: 0, maximum: 16, default: 0 },
  },
} as const;

export const keysSchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    file: { type: 'string', minLength: 1, default: '/etc/radgate/radgate.key' },
    previous_files: { type: 'array', items: { type: 'string', minLength: 1 }, default: [] },
    create_if_missing: { type: 'boolean', default: false },
  },
} as const;

export const policySchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    // SPEC: never above 100, so no setting allows unbounded guessing.
    max_failures: { type: 'integer', minimum: 1, maximum: 100, default: 10 },
    lockout_seconds: { type: 'integer', minimum: 0, maximum: 31536000, default: 900 },
    // FreeRADIUS's reject_delay default is 1 s and its maximum 5 s.
    reject_delay_ms: { type: 'integer', minimum: 0, maximum: 5000, default: 1000 },
    on_store_failure: { enum: ['drop', 'reject'], default: 'drop' },
    pin: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        min_length: { type: 'integer', minimum: 4, maximum: 8, default: 4 },
        max_length: { type: 'integer', minimum: 4, maximum: 8, default: 8 },
        charset: { enum: ['digits', 'alphanumeric'], default: 'digits' },
      },
    },
    strip_realm: { type: 'boolean', default: false },
    fold_case: { type: 'boolean', default: false },
    totp_window: { type: 'integer', minimum: 0, maximum: 3, default: 1 },
    hotp_look_ahead: { type: 'integer', minimum: 1, maximum: 100, default: 10 },
    token_found: { enum: ['deny', 'allow-and-revoke', 'allow-after-expiry'], default: 'deny' },
  },
} as const;

const LIFETIME_PATTERN = '^(\\d{1,6}[smhdw]|1month)$';

export const challengeSchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    enabled: { type: 'boolean', default: false },
    pending_seconds: { type: 'integer', minimum: 60, maximum: 86400, default: 900 },
    prompt: {
      type: 'string',
      minLength: 1,
      maxLength: 200,
      pattern: '\\{request_code\\}',
      patternHint: 'must contain {request_code}, where the request code is shown',
      default: 'Emergency access: tell the helpdesk request code {request_code}, then enter the authorization code',
    },
    validities: {
      type: 'array',
      minItems: 1,
      maxItems: 32,
      uniqueItems: true,
      items: { type: 'string', pattern: LIFETIME_PATTERN, patternHint: 'must be a number of days such as 1d, or 1month' },
      default: ['1d', '3d', '7d', '14d', '31d', '1month'],
    },
    temporary_bypass: { type: 'boolean', default: false },
  },
} as const;

function codeKindSchema(alphabet: string, length: number, lifetime: string) {
  return {
    type: 'object',
    additionalProperties: false,
    default: {},
    properties: {
      alphabet: { enum: ['digits', 'hex', 'unambiguous'], default: alphabet },
      length: { type: 'integer', minimum: 6, maximum: 32, default: length },
      lifetime: {
        type: 'string',
        pattern: '^(\\d{1,6}[smhdw]|1month)$',
        patternHint: 'must be a number and a unit (s, m, h, d, w), e.g. 24h, or 1month',
        default: lifetime,
      },
    },
  } as const;
}

export const codesSchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    // SPEC "Code formats" defaults.
    emergency_tokencode: codeKindSchema('unambiguous', 8, '24h'),
    emergency_passcode: codeKindSchema('unambiguous', 12, '24h'),
    online_authcode: codeKindSchema('hex', 12, '1d'),
  },
} as const;

const replyAttributeSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'value'],
  properties: {
    name: { type: 'string', minLength: 1 },
    value: { type: ['string', 'integer'] },
    tag: { type: 'integer', minimum: 1, maximum: 31 },
  },
} as const;

const replyListSchema = { type: 'array', items: replyAttributeSchema } as const;

export const repliesSchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    token: { ...replyListSchema, default: [] },
    emergency: { ...replyListSchema, default: [] },
    emergency_tokencode: replyListSchema,
    emergency_passcode: replyListSchema,
    online_authcode: replyListSchema,
    offline_authcode: replyListSchema,
    temporary_bypass: replyListSchema,
    reject: { ...replyListSchema, default: [] },
  },
} as const;

/**
 * The operations HTTP listener (/metrics, /health, /ready). Loopback by default: it is for
 * the local Prometheus and the service manager, never for the NAS-facing interfaces.
 */
export const opsSchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    // "IP:PORT" or "[IPv6]:PORT"; `off` (or null) turns the listener off.
    listen: { anyOf: [{ type: 'string', minLength: 1 }, { type: 'null' }], default: '127.0.0.1:9812' },
    auth: { enum: ['none', 'basic', 'bearer'], default: 'none' },
    // basic: one line "user:password"; bearer: the token. Read like a client's secret_file.
    credentials_file: { type: 'string', minLength: 1 },
  },
} as const;

export const tokensSchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: { issuer: { type: 'string', minLength: 1, maxLength: 64, default: 'radgate' } },
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
    user_cache: userCacheSchema,
    // Must stay below a NAS's own timeout (typically 3–5 s) or it retransmits first.
    request_timeout_ms: { type: 'integer', minimum: 100, maximum: 30000, default: 3000 },
    log: logSchema,
    redis: redisSchema,
    keys: keysSchema,
    policy: policySchema,
    codes: codesSchema,
    tokens: tokensSchema,
    replies: repliesSchema,
    challenge: challengeSchema,
    ops: opsSchema,
    radsec: radsecSchema,
    // No default: the console is off unless configured.
    console: consoleSchema,
    // No default: the self-service pages are off unless configured.
    self_service: selfServiceSchema,
    // No default: no SMS is sent unless configured (self-service codes, code issue --send-sms).
    sms: smsSchema,
    // An IANA name, checked by the loader against Node's ICU data. No schema default: the
    // host's zone, read when the file is loaded.
    time_zone: { type: 'string', minLength: 1 },
    // Where `serve` writes its pid, for `radgate reload`. No schema default: with the
    // embedded Redis it is radgate.pid in its data directory (config/pid-file.ts).
    pid_file: { type: 'string', minLength: 1 },
    // One process per core by default: Node runs JavaScript on one thread.
    workers: {
      anyOf: [{ const: 'auto' }, { type: 'integer', minimum: 1, maximum: 64 }],
      default: 'auto',
    },
  },
} as const;

/** The document after schema validation and default filling, before resolution. */
export interface RawConfig {
  listen: string[];
  clients: RawClient[];
  dictionary_dir?: string;
  reply_cache: { ttl_seconds: number; max_entries: number };
  user_cache: { max_users: number };
  request_timeout_ms: number;
  log: { level: (typeof LOG_LEVELS)[number]; format: (typeof LOG_FORMATS)[number] };
  redis: { url?: string; command_timeout_ms: number; key_prefix: string; embedded: { data_dir: string }; wait_replicas: number };
  keys: { file: string; previous_files: string[]; create_if_missing: boolean };
  policy: {
    max_failures: number;
    lockout_seconds: number;
    reject_delay_ms: number;
    on_store_failure: 'drop' | 'reject';
    pin: { min_length: number; max_length: number; charset: 'digits' | 'alphanumeric' };
    strip_realm: boolean;
    fold_case: boolean;
    totp_window: number;
    hotp_look_ahead: number;
    token_found: 'deny' | 'allow-and-revoke' | 'allow-after-expiry';
  };
  time_zone?: string;
  pid_file?: string;
  workers: 'auto' | number;
  challenge: { enabled: boolean; pending_seconds: number; prompt: string; validities: string[]; temporary_bypass: boolean };
  ops: { listen: string | null; auth: 'none' | 'basic' | 'bearer'; credentials_file?: string };
  radsec?: RawRadsec;
  console?: RawConsole;
  self_service?: RawSelfService;
  sms?: RawSms;
  codes: Record<'emergency_tokencode' | 'emergency_passcode' | 'online_authcode', RawCodeKind>;
  tokens: { issuer: string };
  replies: Record<'token' | 'emergency' | 'reject', RawReplyAttribute[]> &
    Partial<Record<'emergency_tokencode' | 'emergency_passcode' | 'online_authcode' | 'offline_authcode' | 'temporary_bypass', RawReplyAttribute[]>>;
}

export interface RawCodeKind {
  alphabet: 'digits' | 'hex' | 'unambiguous';
  length: number;
  lifetime: string;
}

export interface RawReplyAttribute {
  name: string;
  value: string | number;
  tag?: number;
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

