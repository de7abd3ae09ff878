/**
 * IP networks as written in radgate's config ("10.0.0.0/24", "2001:db8::/32", "::1").
 *
 * Used by the config loader to validate client addresses and by the transport layer to
 * match a packet's source address to a client, so both agree on what a network is.
 */
import { RadgateError } from '../errors.js';
import { isIP, isIPv4 } from 'node:net';
import { ipv6ToBuffer } from '../protocol/dictionary/values.js';

export interface Cidr {
  readonly family: 4 | 6;
  /** 4 or 16 bytes, network byte order, host bits zero. */
  readonly network: Buffer;
  readonly prefixLength: number;
}

/** Thrown by {@link parseCidr}; the message never includes anything but the input. */
export class CidrError extends RadgateError {
  override readonly name = 'CidrError';
  constructor(message: string) {
    super('RADGATE_CONFIG_ADDRESS_INVALID', message);
  }
}

const PREFIX = /^(?:0|[1-9][0-9]{0,2})$/;

/**
 * Parses "IP" or "IP/prefix", IPv4 or IPv6. A bare IP is a single host (/32 or /128).
 *
 * Host bits must be zero: "10.0.0.1/24" is refused rather than silently widened, because
 * an admin who wrote it may have meant the single host 10.0.0.1 and would otherwise hand
 * the shared secret to 255 other addresses.
 */
export function parseCidr(text: string): Cidr {
  const slash = text.indexOf('/');
  const ip = slash === -1 ? text : text.slice(0, slash);
  const prefixText = slash === -1 ? undefined : text.slice(slash + 1);

  // A zone index (fe80::1%eth0) names an interface, not a network; isIP accepts it.
  const detected = ip.includes('%') ? 0 : isIP(ip);
  if (detected === 0) {
    throw new CidrError(`${JSON.stringify(text)} is not an IPv4 or IPv6 address or network`);
  }
  const family = detected === 4 ? 4 : 6;
  const bits = family === 4 ? 32 : 128;
  let prefixLength = bits;
  if (prefixText !== undefined) {
    if (!PREFIX.test(prefixText) || Number(prefixText) > bits) {
      throw new CidrError(
        `${JSON.stringify(text)} has an invalid prefix length; an IPv${family} prefix is 0 to ${bits}`,
      );
    }
    prefixLength = Number(prefixText);
  }

  const address = family === 4 ? ipv4Bytes(ip) : ipv6Bytes(ip);
  const network = maskBytes(address, prefixLength);
  if (!network.equals(address)) {
    throw new CidrError(
      `${JSON.stringify(text)} has host bits set; write ${formatCidr({ family, network, prefixLength })}`,
    );
  }
  return { family, network, prefixLength };
}

/** "10.0.0.0/24", "2001:db8::/32"; single hosts are written with their prefix too. */
export function formatCidr(cidr: Cidr): string {
  return `${formatIp(cidr.network)}/${cidr.prefixLength}`;
}

/** True when `address` (4 or 16 bytes) lies inside `cidr`. Families must match. */
export function cidrContains(cidr: Cidr, address: Buffer): boolean {
  if (address.length !== cidr.network.length) return false;
  return maskBytes(address, cidr.prefixLength).equals(cidr.network);
}

/**
 * The bytes of a socket's peer address: a dual-stack socket reports IPv4 peers as
 * ::ffff:a.b.c.d, matched as IPv4; a zone (%eth0) is dropped.
 */
export function peerAddressBytes(address: string): Buffer {
  const plain = address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address;
  return isIPv4(plain) ? Buffer.from(plain.split('.').map(Number)) : ipv6ToBuffer(plain.replace(/%.*$/, ''));
}

/** Formats 4 bytes as dotted quad, 16 bytes as RFC 5952 text (longest zero run as ::). */
export function formatIp(bytes: Buffer): string {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  if (bytes.length !== 16) throw new RangeError(`an IP address is 4 or 16 bytes, not ${bytes.length}`);
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i));

  // RFC 5952 §4.2: compress the longest run of two or more zero groups, the first if tied.
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (g: number[]): string => g.map((n) => n.toString(16)).join(':');
  if (bestStart === -1) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
}

function maskBytes(address: Buffer, prefixLength: number): Buffer {
  const out = Buffer.alloc(address.length);
  for (let i = 0; i < address.length; i++) {
    const bitsHere = Math.max(0, Math.min(8, prefixLength - i * 8));
    out[i] = address[i]! & ((0xff << (8 - bitsHere)) & 0xff);
  }
  return out;
}

// The two parsers below only run on text that node:net's isIP has already accepted.

function ipv4Bytes(ip: string): Buffer {
  return Buffer.from(ip.split('.').map(Number));
}

function ipv6Bytes(ip: string): Buffer {
  let text = ip;
  const tail: number[] = [];
  // An embedded IPv4 address (::ffff:192.0.2.1) fills the last two groups.
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    const v4 = ipv4Bytes(text.slice(lastColon + 1));
    tail.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
    text = text.slice(0, lastColon + 1);
    // "::ffff:" leaves a trailing ':' that is not part of a "::".
    if (text.endsWith(':') && !text.endsWith('::')) text = text.slice(0, -1);
  }
  const groups = (part: string): number[] =>
    part === '' ? [] : part.split(':').map((g) => parseInt(g, 16));
  const doubleColon = text.indexOf('::');
  let all: number[];
  if (doubleColon === -1) {
    all = [...groups(text), ...tail];
  } else {
    const head = groups(text.slice(0, doubleColon));
    const rest = [...groups(text.slice(doubleColon + 2)), ...tail];
    all = [...head, ...new Array<number>(8 - head.length - rest.length).fill(0), ...rest];
  }
  const out = Buffer.alloc(16);
  all.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  return out;
}
