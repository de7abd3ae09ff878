import { decodePacket } from '../protocol/decode.js';
import { verifyMessageAuthenticator, verifyResponseAuthenticator } from '../protocol/authenticator.js';
import type { RadiusPacket } from '../protocol/packet.js';

/**
 * What a NAS checks before it believes a reply (written once, for every client radgate
 * has): it decodes strictly, answers the request's Identifier, carries the right Response
 * Authenticator (RFC 2865 §3: otherwise silently discarded) and a valid
 * Message-Authenticator, which BlastRADIUS (CVE-2024-3596) makes mandatory in replies —
 * radclient 3.2.5 checks it as `-b`. Returns the packet, or undefined for a datagram that
 * is not this request's reply.
 */
export function checkReply(
  datagram: Buffer,
  request: { readonly identifier: number; readonly authenticator: Buffer },
  secret: Buffer,
  requireMessageAuthenticator: boolean,
): RadiusPacket | undefined {
  let reply: RadiusPacket;
  try {
    reply = decodePacket(datagram);
  } catch {
    return undefined;
  }
  if (reply.identifier !== request.identifier) return undefined;
  if (!verifyResponseAuthenticator(reply, request.authenticator, secret)) return undefined;
  if (reply.messageAuthenticatorOffset >= 0) return verifyMessageAuthenticator(reply, secret, request.authenticator) ? reply : undefined;
  return requireMessageAuthenticator ? undefined : reply;
}
