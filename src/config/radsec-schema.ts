/** The `radsec` section's JSON Schema and raw shape; composed into schema.ts's configSchema. */

/**
 * RADIUS over TLS (RFC 6614, draft-ietf-radext-radiusdtls-bis). Absent: no TLS listener.
 * Clients here are TLS peers, matched by their certificate or PSK identity, not by address
 * alone; their packets use the fixed secret `radsec` (RFC 6614 §2.3).
 */
export const radsecClientSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    // As a UDP client's name (schema.ts): it labels logs and metrics.
    name: {
      type: 'string',
      pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$',
      patternHint: "must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit",
    },
    // Mutual TLS: the CA that must have issued the peer's certificate, and a name the
    // certificate must carry (subject CN or a subjectAltName; `*.example.net` allowed).
    ca_file: { type: 'string', minLength: 1 },
    certificate_name: { type: 'string', minLength: 1, maxLength: 253 },
    // TLS-PSK: an identity from radsec.psk_file.
    psk_identity: { type: 'string', minLength: 1, maxLength: 128 },
    // Optional: the peer must also connect from this address or network.
    address: { type: 'string', minLength: 1 },
    require_message_authenticator: { type: 'boolean', default: true },
    limit_proxy_state: { type: 'boolean', default: true },
  },
} as const;

export const radsecSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['clients'],
  properties: {
    // TCP 2083 is RadSec's assigned port (RFC 6614 §2.1), IPv4 and IPv6.
    listen: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 }, default: ['0.0.0.0:2083', '[::]:2083'] },
    certificate_file: { type: 'string', minLength: 1 },
    key_file: { type: 'string', minLength: 1 },
    crl_file: { type: 'string', minLength: 1 },
    // Lines "IDENTITY:HEXKEY" (stunnel's PSKsecrets format), mode 0600 like a secret_file.
    psk_file: { type: 'string', minLength: 1 },
    // A peer that has not finished its handshake by then is closed (slow-loris).
    handshake_timeout_ms: { type: 'integer', minimum: 500, maximum: 60000, default: 5000 },
    // A connection with nothing to read or answer for this long is closed.
    idle_timeout_seconds: { type: 'integer', minimum: 5, maximum: 86400, default: 600 },
    max_connections: { type: 'integer', minimum: 1, maximum: 100000, default: 1024 },
    max_connections_per_client: { type: 'integer', minimum: 1, maximum: 10000, default: 32 },
    // Handshakes in progress from one address: a flood from one host cannot take every slot.
    max_handshakes_per_address: { type: 'integer', minimum: 1, maximum: 10000, default: 32 },
    // Handshakes in progress in total, below max_connections: a flood of half-open handshakes
    // from many addresses leaves room for established NASes to reconnect.
    max_handshakes_in_progress: { type: 'integer', minimum: 1, maximum: 100000, default: 128 },
    // Handshakes begun per second, in total and per source (an IPv4 address, an IPv6 /64):
    // each costs a private-key signature (about 3.6 ms for RSA-3072) on the event loop.
    max_handshakes_per_second: { type: 'integer', minimum: 1, maximum: 100000, default: 100 },
    max_handshakes_per_second_per_address: { type: 'integer', minimum: 1, maximum: 100000, default: 20 },
    clients: { type: 'array', minItems: 1, items: radsecClientSchema },
  },
} as const;

export interface RawRadsecClient {
  name: string;
  ca_file?: string;
  certificate_name?: string;
  psk_identity?: string;
  address?: string;
  require_message_authenticator: boolean;
  limit_proxy_state: boolean;
}

export interface RawRadsec {
  listen: string[];
  certificate_file?: string;
  key_file?: string;
  crl_file?: string;
  psk_file?: string;
  handshake_timeout_ms: number;
  idle_timeout_seconds: number;
  max_connections: number;
  max_connections_per_client: number;
  max_handshakes_per_address: number;
  max_handshakes_in_progress: number;
  max_handshakes_per_second: number;
  max_handshakes_per_second_per_address: number;
  clients: RawRadsecClient[];
}
