import { verifyMessageAuthenticator } from './authenticator.js';
import { AttributeType, PacketCode } from './codes.js';
import { RadiusErrorCode } from './errors.js';
import { hasAttribute, type RadiusPacket } from './packet.js';

/** Per-client switches that decide how strict the authenticity checks are. */
export interface AuthenticityPolicy {
  /** Require Message-Authenticator in every Access-Request (BlastRADIUS mitigation). */
  readonly requireMessageAuthenticator: boolean;
  /** Refuse Proxy-State unless a Message-Authenticator protects it. */
  readonly limitProxyState: boolean;
}

/**
 * Decides whether a structurally valid request is authentic, as FreeRADIUS 3.2.5+ does
 * after CVE-2024-3596 (BlastRADIUS). Returns the reason to drop it, or undefined.
 *
 * A present Message-Authenticator is always verified, whatever the policy says: a wrong
 * one means a wrong secret or tampering (RFC 3579 §3.2 "MUST be silently discarded").
 */
export function checkRequestAuthenticity(
  packet: RadiusPacket,
  secret: Buffer,
  policy: AuthenticityPolicy,
): RadiusErrorCode | undefined {
  if (packet.messageAuthenticatorOffset >= 0) {
    return verifyMessageAuthenticator(packet, secret) ? undefined : RadiusErrorCode.MessageAuthenticatorInvalid;
  }
  // RFC 5997 §3: Status-Server packets MUST carry a Message-Authenticator.
  if (packet.code === PacketCode.StatusServer) return RadiusErrorCode.MessageAuthenticatorMissing;
  // RFC 3579 §3.3: a request with EAP-Message and no Message-Authenticator is discarded.
  if (hasAttribute(packet, AttributeType.EapMessage)) return RadiusErrorCode.MessageAuthenticatorMissing;
  if (policy.requireMessageAuthenticator) return RadiusErrorCode.MessageAuthenticatorMissing;
  // The BlastRADIUS attack hides its MD5 collision blocks in Proxy-State; without a
  // Message-Authenticator nothing binds them to the secret.
  if (policy.limitProxyState && hasAttribute(packet, AttributeType.ProxyState)) {
    return RadiusErrorCode.ProxyStateWithoutMessageAuthenticator;
  }
  return undefined;
}
