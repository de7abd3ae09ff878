import { createHmac, hash, randomBytes, timingSafeEqual } from 'node:crypto';
import { AUTHENTICATOR_LENGTH, HEADER_LENGTH } from './codes.js';
import type { RadiusPacket } from './packet.js';

const ZERO_AUTHENTICATOR = Buffer.alloc(AUTHENTICATOR_LENGTH);

/** RFC 2865 §3: the Request Authenticator of an Access-Request is 16 unpredictable octets. */
export function randomAuthenticator(): Buffer {
  return randomBytes(AUTHENTICATOR_LENGTH);
}

/**
 * HMAC-MD5 over the packet with the Message-Authenticator value taken as zeros
 * (RFC 3579 §3.2). `authenticator` replaces bytes 4–19: a request uses its own Request
 * Authenticator, a reply uses the Request Authenticator of the request it answers.
 * The packet is fed in slices so the received buffer is never modified or copied.
 */
function messageAuthenticatorOf(raw: Buffer, valueOffset: number, authenticator: Buffer, secret: Buffer): Buffer {
  return createHmac('md5', secret)
    .update(raw.subarray(0, 4))
    .update(authenticator)
    .update(raw.subarray(HEADER_LENGTH, valueOffset))
    .update(ZERO_AUTHENTICATOR)
    .update(raw.subarray(valueOffset + AUTHENTICATOR_LENGTH))
    .digest();
}

/**
 * Writes the Message-Authenticator of a packet being built, in place. The value bytes at
 * `valueOffset` must be zero when this is called.
 */
export function signMessageAuthenticator(raw: Buffer, valueOffset: number, authenticator: Buffer, secret: Buffer): void {
  messageAuthenticatorOf(raw, valueOffset, authenticator, secret).copy(raw, valueOffset);
}

/**
 * True when the packet's Message-Authenticator is present and valid. Compared in constant
 * time on two 16-byte buffers, so a forger learns nothing from how long the check takes.
 * `requestAuthenticator` is given when checking a reply; a request is checked against
 * its own authenticator.
 */
export function verifyMessageAuthenticator(packet: RadiusPacket, secret: Buffer, requestAuthenticator?: Buffer): boolean {
  const offset = packet.messageAuthenticatorOffset;
  if (offset < 0) return false;
  const expected = messageAuthenticatorOf(packet.raw, offset, requestAuthenticator ?? packet.authenticator, secret);
  return timingSafeEqual(expected, packet.raw.subarray(offset, offset + AUTHENTICATOR_LENGTH));
}

/**
 * RFC 2865 §3: ResponseAuth = MD5(Code + ID + Length + RequestAuth + Attributes + Secret).
 * RFC 2866 §3 uses the same construction with 16 zero octets for an Accounting-Request.
 */
function responseAuthenticatorOf(raw: Buffer, requestAuthenticator: Buffer, secret: Buffer): Buffer {
  // One-shot hashing of one contiguous copy: cheaper than a Hash object fed four slices
  // (one per reply sent, one per reply checked).
  const input = Buffer.allocUnsafe(raw.length + secret.length);
  raw.copy(input, 0, 0, 4);
  requestAuthenticator.copy(input, 4);
  raw.copy(input, HEADER_LENGTH, HEADER_LENGTH);
  secret.copy(input, raw.length);
  return hash('md5', input, 'buffer');
}

/** Writes the Response Authenticator of a finished reply, in place (last step of encoding). */
export function signResponseAuthenticator(raw: Buffer, requestAuthenticator: Buffer, secret: Buffer): void {
  responseAuthenticatorOf(raw, requestAuthenticator, secret).copy(raw, 4);
}

/** Client side: does this reply really answer our request under this secret? */
export function verifyResponseAuthenticator(reply: RadiusPacket, requestAuthenticator: Buffer, secret: Buffer): boolean {
  const expected = responseAuthenticatorOf(reply.raw, requestAuthenticator, secret);
  return timingSafeEqual(expected, reply.authenticator);
}

/** RFC 2866 §3: an Accounting-Request's authenticator is computed, not random. */
export function verifyAccountingRequestAuthenticator(packet: RadiusPacket, secret: Buffer): boolean {
  const expected = responseAuthenticatorOf(packet.raw, ZERO_AUTHENTICATOR, secret);
  return timingSafeEqual(expected, packet.authenticator);
}
