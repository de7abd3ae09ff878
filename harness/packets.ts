/**
 * Builders for the packets tests send, in the manner of pg-protocol's test-buffers: each
 * returns the exact bytes, so a test can then break them on purpose.
 */
import {
  AttributeType,
  encodeRequest,
  hideUserPassword,
  PacketCode,
  randomAuthenticator,
  type RawAttribute,
} from '../src/protocol/index.js';

export const TEST_SECRET = Buffer.from('radgate-test-secret-16+');

export interface AccessRequestOptions {
  readonly secret?: Buffer;
  readonly identifier?: number;
  readonly authenticator?: Buffer;
  readonly userName?: string;
  readonly password?: string;
  readonly messageAuthenticator?: boolean;
  /** Extra attributes after User-Name and User-Password (Proxy-State, NAS-Identifier, …). */
  readonly attributes?: readonly RawAttribute[];
}

export function accessRequest(options: AccessRequestOptions = {}): Buffer {
  const secret = options.secret ?? TEST_SECRET;
  const authenticator = options.authenticator ?? randomAuthenticator();
  const attributes: RawAttribute[] = [{ type: AttributeType.UserName, value: Buffer.from(options.userName ?? 'alice') }];
  if (options.password !== undefined || !('password' in options)) {
    const password = Buffer.from(options.password ?? 'correct horse');
    attributes.push({ type: AttributeType.UserPassword, value: hideUserPassword(password, secret, authenticator) });
  }
  attributes.push(...(options.attributes ?? []));
  return encodeRequest({
    code: PacketCode.AccessRequest,
    identifier: options.identifier ?? 1,
    authenticator,
    attributes,
    secret,
    messageAuthenticator: options.messageAuthenticator ?? true,
  });
}

export function statusServer(options: { secret?: Buffer; identifier?: number } = {}): Buffer {
  return encodeRequest({
    code: PacketCode.StatusServer,
    identifier: options.identifier ?? 7,
    authenticator: randomAuthenticator(),
    attributes: [],
    secret: options.secret ?? TEST_SECRET,
  });
}

/** A packet assembled by hand from a header and raw attribute bytes, with any Length. */
export function handBuilt(code: number, attributeBytes: Buffer, options: { length?: number; identifier?: number } = {}): Buffer {
  const packet = Buffer.concat([Buffer.alloc(20), attributeBytes]);
  packet[0] = code;
  packet[1] = options.identifier ?? 3;
  packet.writeUInt16BE(options.length ?? packet.length, 2);
  randomAuthenticator().copy(packet, 4);
  return packet;
}

export function proxyState(text: string): RawAttribute {
  return { type: AttributeType.ProxyState, value: Buffer.from(text) };
}

/**
 * Proxy-State attributes that take exactly `octets` octets in a packet (type and length
 * octets included), each as long as an attribute may be: to bring a request, and the
 * reply that must copy them (RFC 2865 §5.33), to a chosen length.
 */
export function proxyStatesOfLength(octets: number): RawAttribute[] {
  const states: RawAttribute[] = [];
  let left = octets;
  while (left > 0) {
    let take = Math.min(255, left);
    // Leave no remainder too short for an attribute of its own (2 octets of header, 1 of value).
    if (left - take > 0 && left - take < 3) take -= 3;
    if (take < 3) throw new RangeError(`${octets} octets cannot be made of Proxy-State attributes`);
    states.push({ type: AttributeType.ProxyState, value: Buffer.alloc(take - 2, 0x70 + (states.length % 10)) });
    left -= take;
  }
  return states;
}
