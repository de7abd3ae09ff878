/** The `console` section of the config file (config/schema.ts composes it), in a file of its own: the main schema is long enough. */

/**
 * A reverse proxy a web listener believes (the console: who the operator is; the
 * self-service pages: the client's address), and only from the proxy's own address.
 */
export function trustedProxySchema(headerExample: string) {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['address', 'header'],
    properties: {
      // The proxy's own address (IP or CIDR): the header is believed from it and from nowhere else.
      address: { type: 'string', minLength: 1 },
      header: {
        type: 'string',
        pattern: '^[A-Za-z0-9-]{1,64}$',
        patternHint: `must be a header name such as ${headerExample}`,
      },
    },
  } as const;
}

/**
 * The helpdesk console (README "Helpdesk console"): its own HTTPS listener, off unless this
 * section is written. Loopback by default, like the ops listener: an admin who wants it on
 * a LAN says so, or puts a reverse proxy in front.
 */
export const consoleSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['certificate_file', 'key_file'],
  properties: {
    // "IP:PORT" or "[IPv6]:PORT"; `off` (or null) keeps the section but serves nothing.
    listen: { anyOf: [{ type: 'string', minLength: 1 }, { type: 'null' }], default: '127.0.0.1:8443' },
    // PEM files: from `radgate certs` or the site's own CA. Read at load, so a typo is an error with its line.
    certificate_file: { type: 'string', minLength: 1 },
    key_file: { type: 'string', minLength: 1 },
    session: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        // A helpdesk call is minutes long; a console left open on a desk should not stay signed in.
        idle_seconds: { type: 'integer', minimum: 60, maximum: 86400, default: 900 },
        // One working day at most, whatever the activity.
        max_seconds: { type: 'integer', minimum: 300, maximum: 86400, default: 28800 },
      },
    },
    login: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        // Consecutive wrong passwords or TOTP codes that lock an operator account.
        max_failures: { type: 'integer', minimum: 1, maximum: 100, default: 5 },
        // 0: until another admin resets it (radgate operator unlock).
        lockout_seconds: { type: 'integer', minimum: 0, maximum: 86400, default: 900 },
        // Sign-in attempts one address may make per minute, whichever operator it names.
        per_source_per_minute: { type: 'integer', minimum: 1, maximum: 1000, default: 10 },
      },
    },
    // Sites with SSO: a reverse proxy that authenticates the operator and names them in a header.
    trusted_proxy: trustedProxySchema('X-Remote-User'),
  },
} as const;

export interface RawConsole {
  listen: string | null;
  certificate_file: string;
  key_file: string;
  session: { idle_seconds: number; max_seconds: number };
  login: { max_failures: number; lockout_seconds: number; per_source_per_minute: number };
  trusted_proxy?: { address: string; header: string };
}
