import {
  AttributeType,
  AUTHENTICATOR_LENGTH,
  HEADER_LENGTH,
  MAX_ATTRIBUTES,
  MAX_PACKET_LENGTH,
  MAX_USER_PASSWORD_LENGTH,
  MESSAGE_AUTHENTICATOR_LENGTH,
  MIN_PACKET_LENGTH,
} from './codes.js';
import { RadiusError, RadiusErrorCode } from './errors.js';
import type { RadiusPacket, RawAttribute } from './packet.js';

/**
 * Decodes one datagram with the checks FreeRADIUS makes in `rad_packet_ok()`, so that
 * anything we accept FreeRADIUS would accept too, and everything it refuses we refuse
 * with a typed error. Nothing here knows a secret: authenticity is checked separately
 * (see authenticator.ts), after the structure is known to be sound.
 */
export function decodePacket(datagram: Buffer): RadiusPacket {
  if (datagram.length < MIN_PACKET_LENGTH) {
    throw new RadiusError(RadiusErrorCode.TooShort, `datagram of ${datagram.length} bytes is shorter than a RADIUS header`);
  }
  const length = datagram.readUInt16BE(2);
  // RFC 2865 §3: "The minimum length is 20 and maximum length is 4096."
  if (length < MIN_PACKET_LENGTH) {
    throw new RadiusError(RadiusErrorCode.LengthTooSmall, `Length field ${length} is below ${MIN_PACKET_LENGTH}`);
  }
  if (length > MAX_PACKET_LENGTH) {
    throw new RadiusError(RadiusErrorCode.LengthTooLarge, `Length field ${length} is above ${MAX_PACKET_LENGTH}`);
  }
  // RFC 2865 §3: "If the packet is shorter than the Length field indicates, it MUST be
  // silently discarded." Octets beyond Length are padding and are ignored.
  if (length > datagram.length) {
    throw new RadiusError(
      RadiusErrorCode.LengthExceedsDatagram,
      `Length field ${length} exceeds the ${datagram.length}-byte datagram`,
    );
  }
  const raw = datagram.length === length ? datagram : datagram.subarray(0, length);

  const attributes: RawAttribute[] = [];
  let messageAuthenticatorOffset = -1;
  let offset = HEADER_LENGTH;
  while (offset < length) {
    if (length - offset < 2) {
      throw new RadiusError(RadiusErrorCode.AttributeTruncated, `attribute header truncated at offset ${offset}`);
    }
    const type = raw[offset]!;
    const attributeLength = raw[offset + 1]!;
    if (type === 0) {
      throw new RadiusError(RadiusErrorCode.AttributeTypeZero, `attribute type 0 at offset ${offset}`);
    }
    if (attributeLength < 2) {
      throw new RadiusError(
        RadiusErrorCode.AttributeLengthTooSmall,
        `attribute ${type} at offset ${offset} has length ${attributeLength}`,
      );
    }
    if (offset + attributeLength > length) {
      throw new RadiusError(
        RadiusErrorCode.AttributeOverflow,
        `attribute ${type} at offset ${offset} runs past the end of the packet`,
      );
    }
    if (attributes.length === MAX_ATTRIBUTES) {
      throw new RadiusError(RadiusErrorCode.TooManyAttributes, `more than ${MAX_ATTRIBUTES} attributes`);
    }
    if (type === AttributeType.MessageAuthenticator) {
      // RFC 3579 §3.2: the attribute is exactly 18 octets; two of them are ambiguous.
      if (attributeLength !== MESSAGE_AUTHENTICATOR_LENGTH) {
        throw new RadiusError(
          RadiusErrorCode.MessageAuthenticatorLength,
          `Message-Authenticator has length ${attributeLength}, not ${MESSAGE_AUTHENTICATOR_LENGTH}`,
        );
      }
      if (messageAuthenticatorOffset !== -1) {
        throw new RadiusError(RadiusErrorCode.MessageAuthenticatorDuplicate, 'more than one Message-Authenticator');
      }
      messageAuthenticatorOffset = offset + 2;
    } else if (type === AttributeType.UserPassword) {
      // RFC 2865 §5.2: 16 to 128 octets, a multiple of 16.
      const valueLength = attributeLength - 2;
      if (valueLength === 0 || valueLength % 16 !== 0 || valueLength > MAX_USER_PASSWORD_LENGTH) {
        throw new RadiusError(
          RadiusErrorCode.UserPasswordLength,
          `User-Password of ${valueLength} octets is not a multiple of 16 between 16 and ${MAX_USER_PASSWORD_LENGTH}`,
        );
      }
    }
    attributes.push({ type, value: raw.subarray(offset + 2, offset + attributeLength) });
    offset += attributeLength;
  }

  return {
    code: raw[0]!,
    identifier: raw[1]!,
    authenticator: raw.subarray(4, 4 + AUTHENTICATOR_LENGTH),
    attributes,
    raw,
    messageAuthenticatorOffset,
  };
}
