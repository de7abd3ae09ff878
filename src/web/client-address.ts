import { isIP } from 'node:net';
import type { FastifyRequest } from 'fastify';
import { cidrContains, formatIp, parseCidr, peerAddressBytes } from '../config/cidr.js';

/** A reverse proxy in front of a web listener, and the header in which it names the client (lower case). */
export interface TrustedProxy {
  readonly address: string;
  readonly header: string;
}

/**
 * The address of the client a request comes from, for per-source limits and the audit.
 * Behind the trusted proxy (a request from its own address) it is the last entry of the
 * proxy's header (X-Forwarded-For appends the peer the proxy saw, so the entries before it
 * are whatever the client wrote); from anywhere else, or without a usable header, it is the
 * TCP peer, whatever headers the request carries.
 */
export function clientAddressOf(proxy: TrustedProxy | undefined): (request: FastifyRequest) => string {
  const network = proxy === undefined ? undefined : parseCidr(proxy.address);
  return (request) => {
    const peer = unmapped(request.socket.remoteAddress ?? 'unknown');
    if (proxy === undefined || network === undefined || isIP(peer) === 0 || !cidrContains(network, peerAddressBytes(peer))) return peer;
    const value = request.headers[proxy.header];
    const named = (Array.isArray(value) ? value.at(-1) : value)?.split(',').at(-1)?.trim() ?? '';
    return isIP(named) === 0 ? peer : unmapped(named);
  };
}

/**
 * The key one source is counted under by a per-source limit (the self-service form posts,
 * the console's sign-in). An IPv4 address is itself; an IPv6 address stands for its /64:
 * a /64 is the smallest network a site or a host is given (RFC 7421), and a host on one can
 * take any of its 2^64 addresses (temporary addresses, RFC 8981), so a limit per address
 * would give one attacker as many tries as they care to configure. @fastify/rate-limit
 * groups by /64 itself only with its own key generator, which knows no trusted proxy.
 */
export function sourceKeyOf(address: string): string {
  if (isIP(address) !== 6) return address;
  const bytes = peerAddressBytes(address.toLowerCase());
  if (bytes.length === 4) return formatIp(bytes); // ::ffff:a.b.c.d is an IPv4 client
  bytes.fill(0, 8);
  return `${formatIp(bytes)}/64`;
}

/** "::ffff:192.0.2.1" (an IPv4 client on a dual-stack socket) as the IPv4 address it is. */
function unmapped(address: string): string {
  return /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(address) ? address.slice(7) : address;
}
