import { isIPv4, isIPv6 } from 'node:net';
import { RadiusError, RadiusErrorCode } from '../errors.js';
import type { AttributeDefinition } from './dictionary.js';

/** What callers may hand the encoder for one attribute value. */
export type AttributeValue = string | number | bigint | Buffer | Date;

/** What the decoder hands back. Addresses and prefixes come back as their text form. */
export type DecodedValue = string | number | bigint | Buffer;

function invalid(definition: AttributeDefinition, why: string): RadiusError {
  return new RadiusError(RadiusErrorCode.EncodeInvalid, `${definition.name}: ${why}`);
}

function ipv4ToBuffer(text: string): Buffer {
  return Buffer.from(text.split('.').map(Number));
}

/** Expands "::" and an embedded dotted quad into 16 octets. */
export function ipv6ToBuffer(text: string): Buffer {
  let address = text;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (dotted !== null) {
    const v4 = ipv4ToBuffer(dotted[1]!);
    address = address.slice(0, -dotted[1]!.length) + `${v4.readUInt16BE(0).toString(16)}:${v4.readUInt16BE(2).toString(16)}`;
  }
  const [head, tail] = address.includes('::') ? address.split('::') : [address, undefined];
  const headGroups = head === '' || head === undefined ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups =
    tail === undefined
      ? headGroups
      : [...headGroups, ...new Array<string>(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  const buffer = Buffer.alloc(16);
  groups.forEach((group, index) => buffer.writeUInt16BE(Number.parseInt(group, 16), index * 2));
  return buffer;
}

export function bufferToIpv6(buffer: Buffer): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(buffer.readUInt16BE(i).toString(16));
  // Compress the longest run of zero groups (RFC 5952 §4.2).
  let bestStart = -1;
  let bestLength = 1;
  for (let start = 0; start < 8; start++) {
    let length = 0;
    while (start + length < 8 && groups[start + length] === '0') length++;
    if (length > bestLength) {
      bestStart = start;
      bestLength = length;
    }
  }
  if (bestStart === -1) return groups.join(':');
  return `${groups.slice(0, bestStart).join(':')}::${groups.slice(bestStart + bestLength).join(':')}`;
}

function parsePrefix(definition: AttributeDefinition, value: AttributeValue, family: 4 | 6): { address: Buffer; length: number } {
  const max = family === 4 ? 32 : 128;
  const match = typeof value === 'string' ? /^([^/]+)\/(\d{1,3})$/.exec(value) : null;
  const length = match === null ? NaN : Number(match[2]);
  const valid = match !== null && (family === 4 ? isIPv4(match[1]!) : isIPv6(match[1]!)) && length <= max;
  if (!valid) throw invalid(definition, `expected an IPv${family} prefix such as ${family === 4 ? '192.0.2.0/24' : '2001:db8::/32'}`);
  return { address: family === 4 ? ipv4ToBuffer(match[1]!) : ipv6ToBuffer(match[1]!), length };
}

function integerValue(definition: AttributeDefinition, value: AttributeValue, max: number): number {
  let number: number;
  if (typeof value === 'number') number = value;
  else if (typeof value === 'bigint') number = Number(value);
  else if (typeof value === 'string') {
    const named = definition.valuesByName.get(value.toLowerCase());
    number = named ?? (/^\d+$/.test(value) ? Number(value) : NaN);
  } else throw invalid(definition, 'expected a number');
  if (!Number.isInteger(number) || number < 0 || number > max) {
    throw invalid(definition, `expected an integer between 0 and ${max} or one of its VALUE names`);
  }
  return number;
}

/** RFC 2865 §5: a date is 32-bit seconds since 1970, so 1970 to early 2106. */
function dateSeconds(definition: AttributeDefinition, date: Date): number {
  const seconds = Math.floor(date.getTime() / 1000);
  if (!Number.isFinite(seconds) || seconds < 0 || seconds > 0xffffffff) {
    throw invalid(definition, 'expected a date between 1970 and 2106');
  }
  return seconds;
}

function bigIntValue(value: AttributeValue): bigint | undefined {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return Number.isSafeInteger(value) ? BigInt(value) : undefined;
  if (typeof value === 'string' && /^\d{1,20}$/.test(value)) return BigInt(value);
  return undefined;
}

/**
 * Encodes one value by its dictionary type (RFC 2865 §5, RFC 8044 data types). Tags and
 * encryption are the attribute encoder's job; this is only the plain value.
 */
export function encodeValue(definition: AttributeDefinition, value: AttributeValue): Buffer {
  switch (definition.dataType) {
    case 'string':
      if (typeof value === 'string') return Buffer.from(value, 'utf8');
      if (Buffer.isBuffer(value)) return value;
      throw invalid(definition, 'expected a string');
    case 'octets':
    case 'vsa':
      if (Buffer.isBuffer(value)) return value;
      if (typeof value === 'string' && /^0x([0-9a-f]{2})*$/i.test(value)) return Buffer.from(value.slice(2), 'hex');
      if (typeof value === 'string') return Buffer.from(value, 'utf8');
      throw invalid(definition, 'expected octets (a Buffer or 0x-prefixed hex)');
    case 'ipaddr':
      if (typeof value === 'string' && isIPv4(value)) return ipv4ToBuffer(value);
      throw invalid(definition, 'expected an IPv4 address');
    case 'ipv6addr':
      if (typeof value === 'string' && isIPv6(value)) return ipv6ToBuffer(value);
      throw invalid(definition, 'expected an IPv6 address');
    case 'ipv6prefix': {
      // RFC 3162 §2.3: reserved octet, prefix length, then only the octets the prefix needs.
      const { address, length } = parsePrefix(definition, value, 6);
      return Buffer.concat([Buffer.from([0, length]), address.subarray(0, Math.ceil(length / 8))]);
    }
    case 'ipv4prefix': {
      // RFC 6572 §3.4: reserved octet, prefix length, four address octets.
      const { address, length } = parsePrefix(definition, value, 4);
      return Buffer.concat([Buffer.from([0, length]), address]);
    }
    case 'integer':
    case 'date': {
      const number = value instanceof Date ? dateSeconds(definition, value) : integerValue(definition, value, 0xffffffff);
      const buffer = Buffer.alloc(4);
      buffer.writeUInt32BE(number);
      return buffer;
    }
    case 'short': {
      const buffer = Buffer.alloc(2);
      buffer.writeUInt16BE(integerValue(definition, value, 0xffff));
      return buffer;
    }
    case 'byte':
      return Buffer.from([integerValue(definition, value, 0xff)]);
    case 'integer64': {
      const big = bigIntValue(value);
      if (big === undefined || big < 0n || big > 0xffffffffffffffffn) throw invalid(definition, 'expected an unsigned 64-bit integer');
      const buffer = Buffer.alloc(8);
      buffer.writeBigUInt64BE(big);
      return buffer;
    }
    case 'ifid': {
      const match = typeof value === 'string' ? /^([0-9a-f]{1,4}):([0-9a-f]{1,4}):([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(value) : null;
      if (match === null) throw invalid(definition, 'expected an interface id such as 0000:0000:0000:0001');
      const buffer = Buffer.alloc(8);
      for (let i = 0; i < 4; i++) buffer.writeUInt16BE(Number.parseInt(match[i + 1]!, 16), i * 2);
      return buffer;
    }
  }
}

/**
 * Decodes one plain value for display and tests. A value of the wrong size for its type
 * comes back as raw octets rather than an error: RFC 2865 §5 says such an attribute is
 * treated as unknown, not as a reason to drop the packet.
 */
export function decodeValue(definition: AttributeDefinition, value: Buffer): DecodedValue {
  switch (definition.dataType) {
    case 'string':
      return value.toString('utf8');
    case 'ipaddr':
      return value.length === 4 ? Array.from(value).join('.') : value;
    case 'ipv6addr':
      return value.length === 16 ? bufferToIpv6(value) : value;
    case 'ipv6prefix': {
      if (value.length < 2 || value.length > 18 || value[1]! > 128) return value;
      const address = Buffer.alloc(16);
      value.copy(address, 0, 2);
      return `${bufferToIpv6(address)}/${value[1]}`;
    }
    case 'ipv4prefix':
      return value.length === 6 && value[1]! <= 32 ? `${Array.from(value.subarray(2)).join('.')}/${value[1]}` : value;
    case 'integer':
    case 'date':
      if (value.length !== 4) return value;
      return definition.dataType === 'integer' ? (definition.namesByValue.get(value.readUInt32BE(0)) ?? value.readUInt32BE(0)) : value.readUInt32BE(0);
    case 'short':
      return value.length === 2 ? value.readUInt16BE(0) : value;
    case 'byte':
      return value.length === 1 ? value[0]! : value;
    case 'integer64':
      return value.length === 8 ? value.readBigUInt64BE(0) : value;
    case 'ifid':
      return value.length === 8 ? [0, 2, 4, 6].map((i) => value.readUInt16BE(i).toString(16).padStart(4, '0')).join(':') : value;
    case 'octets':
    case 'vsa':
      return value;
  }
}
