/** Packet codes (RFC 2865 §4, RFC 2866 §4, RFC 5997 §2). */
export const PacketCode = {
  AccessRequest: 1,
  AccessAccept: 2,
  AccessReject: 3,
  AccountingRequest: 4,
  AccountingResponse: 5,
  AccessChallenge: 11,
  StatusServer: 12,
  StatusClient: 13,
} as const;
export type PacketCode = (typeof PacketCode)[keyof typeof PacketCode];

// Hyphenated once here: the server names the code of every reply it counts.
const codeNames = new Map<number, string>(Object.entries(PacketCode).map(([name, code]) => [code, name.replace(/([a-z])([A-Z])/g, '$1-$2')]));

/** "Access-Request" for 1, "code-99" for anything we have no name for. */
export function packetCodeName(code: number): string {
  return codeNames.get(code) ?? `code-${code}`;
}

/**
 * The attribute numbers the protocol layer itself must understand. Everything else is
 * looked up in the dictionaries.
 */
export const AttributeType = {
  UserName: 1,
  UserPassword: 2,
  ChapPassword: 3,
  NasIpAddress: 4,
  NasPort: 5,
  ReplyMessage: 18,
  State: 24,
  Class: 25,
  VendorSpecific: 26,
  CalledStationId: 30,
  CallingStationId: 31,
  NasIdentifier: 32,
  ProxyState: 33,
  ChapChallenge: 60,
  EapMessage: 79,
  MessageAuthenticator: 80,
  NasIpv6Address: 95,
} as const;

/** RFC 2865 §3: minimum and maximum packet length. */
export const MIN_PACKET_LENGTH = 20;
export const MAX_PACKET_LENGTH = 4096;
export const HEADER_LENGTH = 20;
export const AUTHENTICATOR_LENGTH = 16;
/** Type + length + 16-byte HMAC-MD5 (RFC 3579 §3.2). */
export const MESSAGE_AUTHENTICATOR_LENGTH = 18;
/** FreeRADIUS refuses packets with more attributes than this (MAX_ATTRIBUTES in radius.c). */
export const MAX_ATTRIBUTES = 200;
/** RFC 2865 §5.2: User-Password is 16 to 128 octets, a multiple of 16. */
export const MAX_USER_PASSWORD_LENGTH = 128;
/** An attribute's value is at most 253 octets: the length octet counts type and length too. */
export const MAX_ATTRIBUTE_VALUE_LENGTH = 253;
