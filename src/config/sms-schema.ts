/** The `sms` section of the config file (config/schema.ts composes it): how self-service codes reach a phone (issue 18). */

/** IBM's wording, shortened to one SMS (160 GSM characters with a 32-character code and a date). */
export const DEFAULT_SMS_MESSAGE = 'Your radgate authorization code: {code}. Valid until {expires}.';

/** A JSON body generic gateways take; Twilio-like ones want `To={number}&Body={message}` form-encoded. */
export const DEFAULT_SMS_BODY = '{"to":"{number}","message":"{message}"}';

export const smsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['provider'],
  properties: {
    provider: { enum: ['webhook', 'command'] },
    // {code} and {expires} are replaced; the text is never logged (it carries the code).
    message: { type: 'string', minLength: 1, maxLength: 480, default: DEFAULT_SMS_MESSAGE },
    webhook: {
      type: 'object',
      additionalProperties: false,
      required: ['url'],
      properties: {
        // https://, or http:// to a loopback address only (a local relay).
        url: { type: 'string', minLength: 1 },
        method: { enum: ['POST', 'PUT'], default: 'POST' },
        headers: {
          type: 'object',
          default: {},
          propertyNames: { pattern: '^[A-Za-z0-9-]{1,64}$' },
          additionalProperties: { type: 'string', maxLength: 1024 },
        },
        // JSON-escaped placeholders when it contains "json", form-encoded otherwise.
        content_type: { type: 'string', minLength: 1, default: 'application/json' },
        body: { type: 'string', minLength: 1, maxLength: 4096, default: DEFAULT_SMS_BODY },
        // The value of the authorization header, from a file or the environment: never in the YAML.
        authorization_file: { type: 'string', minLength: 1 },
        authorization_env: { type: 'string', minLength: 1 },
        authorization_header: { type: 'string', pattern: '^[A-Za-z0-9-]{1,64}$', default: 'Authorization', patternHint: 'must be a header name such as Authorization' },
        timeout_ms: { type: 'integer', minimum: 100, maximum: 60000, default: 10000 },
        // Retried only when the gateway cannot have taken the message: no connection, 5xx, 429.
        retries: { type: 'integer', minimum: 0, maximum: 5, default: 2 },
        // A private CA the gateway's certificate is issued by (PEM); the system's CAs otherwise.
        ca_file: { type: 'string', minLength: 1 },
      },
    },
    command: {
      type: 'object',
      additionalProperties: false,
      required: ['path'],
      properties: {
        // An absolute path: no PATH lookup decides which program gets the codes.
        path: { type: 'string', minLength: 1 },
        args: { type: 'array', items: { type: 'string', maxLength: 1024 }, maxItems: 32, default: [] },
        timeout_ms: { type: 'integer', minimum: 100, maximum: 120000, default: 10000 },
      },
    },
  },
} as const;

export interface RawSms {
  provider: 'webhook' | 'command';
  message: string;
  webhook?: {
    url: string;
    method: 'POST' | 'PUT';
    headers: Record<string, string>;
    content_type: string;
    body: string;
    authorization_file?: string;
    authorization_env?: string;
    authorization_header: string;
    timeout_ms: number;
    retries: number;
    ca_file?: string;
  };
  command?: { path: string; args: string[]; timeout_ms: number };
}
