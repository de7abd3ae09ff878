/** The `self_service` section of the config file (config/schema.ts composes it). */
import { DEFAULT_SELF_SERVICE_SETTINGS, SELF_SERVICE_BOUNDS } from '../self-service/self-service-settings.js';
import { trustedProxySchema } from './console-schema.js';

/**
 * The self-service pages (README "Self-service"): their own HTTPS listener, off unless this
 * section is written. Loopback by default: the pages are meant to sit behind the site's
 * reverse proxy, which is what users reach.
 */
export const selfServiceSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['certificate_file', 'key_file'],
  properties: {
    // "IP:PORT" or "[IPv6]:PORT"; `off` (or null) keeps the section but serves nothing.
    listen: { anyOf: [{ type: 'string', minLength: 1 }, { type: 'null' }], default: '127.0.0.1:8444' },
    // PEM files, read at load like the console's.
    certificate_file: { type: 'string', minLength: 1 },
    key_file: { type: 'string', minLength: 1 },
    // Form posts (code requests, PIN resets, token registrations) one client address may send
    // per minute, whichever user they name: what stops one host from walking a list of names.
    requests_per_source_per_minute: { type: 'integer', minimum: 1, maximum: 1000, default: 10 },
    // The reverse proxy in front, and the header in which it names the client (its last entry).
    trusted_proxy: trustedProxySchema('X-Forwarded-For'),
    // Every code request is answered this long after it was made, whoever it names, so the
    // time says nothing about the user; it must cover a provider's usual answer time.
    // Defaults and bounds of these three are self-service/self-service-settings.ts's.
    answer_ms: { type: 'integer', ...SELF_SERVICE_BOUNDS.answerMs, default: DEFAULT_SELF_SERVICE_SETTINGS.answerMs },
    // How long a code sent by SMS is valid; the online authorization code's bounds (1 to 31 days, or 1month).
    code_lifetime: { type: 'string', minLength: 1, default: DEFAULT_SELF_SERVICE_SETTINGS.codeLifetime },
    // Codes one user name may ask for per hour (kept in Redis: it holds across gateway instances).
    requests_per_user_per_hour: { type: 'integer', ...SELF_SERVICE_BOUNDS.requestsPerUserPerHour, default: DEFAULT_SELF_SERVICE_SETTINGS.requestsPerUserPerHour },
  },
} as const;

export interface RawSelfService {
  listen: string | null;
  certificate_file: string;
  key_file: string;
  requests_per_source_per_minute: number;
  trusted_proxy?: { address: string; header: string };
  answer_ms: number;
  code_lifetime: string;
  requests_per_user_per_hour: number;
}
