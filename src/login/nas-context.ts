import type { NasContext } from '../credentials/login-attempt.js';
import { AttributeType } from '../protocol/codes.js';
import { findAttribute, type RadiusPacket } from '../protocol/packet.js';

/**
 * C0 and C1 controls and the Unicode line separators: text a NAS sends (NAS-Identifier,
 * Calling-Station-Id) is shown to the helpdesk in a terminal and kept in audit lines, where
 * an escape sequence or a line break could forge what the reader sees.
 */
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

function text(value: Buffer | undefined): string | undefined {
  return value === undefined ? undefined : value.toString('utf8').replace(UNPRINTABLE, '\ufffd');
}

/** NAS-IP-Address (4 octets), else NAS-IPv6-Address (16, RFC 3162 §2.1). */
function nasAddress(packet: RadiusPacket): string | undefined {
  const v4 = findAttribute(packet, AttributeType.NasIpAddress);
  if (v4?.length === 4) return Array.from(v4).join('.');
  const v6 = findAttribute(packet, AttributeType.NasIpv6Address);
  if (v6?.length !== 16) return undefined;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(v6.readUInt16BE(i).toString(16));
  return groups.join(':');
}

/**
 * Where an Access-Request came from, for its decision line and the user's recorded
 * attempts: what the NAS says of itself and of the caller (RFC 2865 §5.4, §5.5, §5.31,
 * §5.32). Read once per request, only the attributes named here.
 */
export function nasContextOf(packet: RadiusPacket, client: string): NasContext {
  const port = findAttribute(packet, AttributeType.NasPort);
  return {
    client,
    nasAddress: nasAddress(packet),
    nasIdentifier: text(findAttribute(packet, AttributeType.NasIdentifier)),
    callingStationId: text(findAttribute(packet, AttributeType.CallingStationId)),
    nasPort: port?.length === 4 ? port.readUInt32BE(0) : undefined,
  };
}
