import { signMessageAuthenticator, signResponseAuthenticator } from './authenticator.js';
import {
  AttributeType,
  AUTHENTICATOR_LENGTH,
  HEADER_LENGTH,
  MAX_ATTRIBUTE_VALUE_LENGTH,
  MAX_PACKET_LENGTH,
  MESSAGE_AUTHENTICATOR_LENGTH,
  PacketCode,
} from './codes.js';
import { RadiusError, RadiusErrorCode } from './errors.js';
import type { RawAttribute } from './packet.js';

interface Layout {
  readonly length: number;
}

function layout(attributes: readonly RawAttribute[], withMessageAuthenticator: boolean): Layout {
  let length = HEADER_LENGTH + (withMessageAuthenticator ? MESSAGE_AUTHENTICATOR_LENGTH : 0);
  for (const attribute of attributes) {
    if (attribute.type < 1 || attribute.type > 255) {
      throw new RadiusError(RadiusErrorCode.EncodeInvalid, `attribute type ${attribute.type} is outside 1–255`);
    }
    if (attribute.type === AttributeType.MessageAuthenticator) {
      throw new RadiusError(RadiusErrorCode.EncodeInvalid, 'Message-Authenticator is added by the encoder, not by callers');
    }
    if (attribute.value.length > MAX_ATTRIBUTE_VALUE_LENGTH) {
      throw new RadiusError(
        RadiusErrorCode.EncodeInvalid,
        `attribute ${attribute.type} has ${attribute.value.length} octets, more than ${MAX_ATTRIBUTE_VALUE_LENGTH}`,
      );
    }
    length += 2 + attribute.value.length;
  }
  if (length > MAX_PACKET_LENGTH) {
    throw new RadiusError(RadiusErrorCode.EncodeInvalid, `packet of ${length} octets exceeds ${MAX_PACKET_LENGTH}`);
  }
  return { length };
}

/**
 * Writes header, an all-zero Message-Authenticator (when wanted) and the attributes into one
 * buffer sized exactly once. Returns the buffer and the offset of the MA value (or -1).
 */
function assemble(
  code: number,
  identifier: number,
  authenticator: Buffer,
  attributes: readonly RawAttribute[],
  withMessageAuthenticator: boolean,
): { raw: Buffer; messageAuthenticatorOffset: number } {
  if (!Number.isInteger(code) || code < 0 || code > 255) throw new RadiusError(RadiusErrorCode.EncodeInvalid, `packet code ${code} is outside 0–255`);
  if (!Number.isInteger(identifier) || identifier < 0 || identifier > 255) {
    throw new RadiusError(RadiusErrorCode.EncodeInvalid, `Identifier ${identifier} is outside 0–255`);
  }
  if (authenticator.length !== AUTHENTICATOR_LENGTH) {
    throw new RadiusError(RadiusErrorCode.EncodeInvalid, `an authenticator is ${AUTHENTICATOR_LENGTH} octets, not ${authenticator.length}`);
  }
  const { length } = layout(attributes, withMessageAuthenticator);
  const raw = Buffer.allocUnsafe(length);
  raw[0] = code;
  raw[1] = identifier;
  raw.writeUInt16BE(length, 2);
  authenticator.copy(raw, 4, 0, AUTHENTICATOR_LENGTH);
  let offset = HEADER_LENGTH;
  let messageAuthenticatorOffset = -1;
  if (withMessageAuthenticator) {
    raw[offset] = AttributeType.MessageAuthenticator;
    raw[offset + 1] = MESSAGE_AUTHENTICATOR_LENGTH;
    raw.fill(0, offset + 2, offset + MESSAGE_AUTHENTICATOR_LENGTH);
    messageAuthenticatorOffset = offset + 2;
    offset += MESSAGE_AUTHENTICATOR_LENGTH;
  }
  for (const attribute of attributes) {
    raw[offset] = attribute.type;
    raw[offset + 1] = attribute.value.length + 2;
    attribute.value.copy(raw, offset + 2);
    offset += attribute.value.length + 2;
  }
  return { raw, messageAuthenticatorOffset };
}

/**
 * The length of a reply whose attributes take `attributeOctets` (type and length octets
 * included): the header and the Message-Authenticator every reply carries, then those.
 */
export function replyLength(attributeOctets: number): number {
  return HEADER_LENGTH + MESSAGE_AUTHENTICATOR_LENGTH + attributeOctets;
}

export interface ReplySpec {
  /** Access-Accept, Access-Reject or Access-Challenge (or any response code). */
  readonly code: number;
  /** The Identifier of the request being answered. */
  readonly identifier: number;
  /** The Request Authenticator of the request being answered. */
  readonly requestAuthenticator: Buffer;
  /** Reply attributes in order; Proxy-State copies go last, as the transport adds them. */
  readonly attributes: readonly RawAttribute[];
  readonly secret: Buffer;
}

/**
 * Encodes a reply. Message-Authenticator is always present and always the **first**
 * attribute: the BlastRADIUS mitigation (CVE-2024-3596) relies on the MD5 prefix the
 * attacker would need to control starting with an HMAC they cannot compute. RFC 3579 §3.2
 * order: the HMAC is computed with the Request Authenticator in the header, then the
 * Response Authenticator is computed over the packet that includes the HMAC.
 */
export function encodeReply(spec: ReplySpec): Buffer {
  const { raw, messageAuthenticatorOffset } = assemble(
    spec.code,
    spec.identifier,
    spec.requestAuthenticator,
    spec.attributes,
    true,
  );
  signMessageAuthenticator(raw, messageAuthenticatorOffset, spec.requestAuthenticator, spec.secret);
  signResponseAuthenticator(raw, spec.requestAuthenticator, spec.secret);
  return raw;
}

export interface RequestSpec {
  /** Access-Request or Status-Server. */
  readonly code: number;
  readonly identifier: number;
  /** 16 random octets (see randomAuthenticator). */
  readonly authenticator: Buffer;
  /** Attributes in order; a User-Password must already be hidden (password.ts). */
  readonly attributes: readonly RawAttribute[];
  readonly secret: Buffer;
  /** Default true; Status-Server always carries one (RFC 5997 §3). */
  readonly messageAuthenticator?: boolean;
}

/** Encodes a request as a NAS would: used by `radgate test`, the benchmark and tests. */
export function encodeRequest(spec: RequestSpec): Buffer {
  const withMessageAuthenticator = spec.messageAuthenticator ?? true;
  if (spec.code === PacketCode.StatusServer && !withMessageAuthenticator) {
    throw new RadiusError(RadiusErrorCode.EncodeInvalid, 'Status-Server requires Message-Authenticator (RFC 5997 §3)');
  }
  const { raw, messageAuthenticatorOffset } = assemble(
    spec.code,
    spec.identifier,
    spec.authenticator,
    spec.attributes,
    withMessageAuthenticator,
  );
  if (withMessageAuthenticator) {
    signMessageAuthenticator(raw, messageAuthenticatorOffset, spec.authenticator, spec.secret);
  }
  return raw;
}
