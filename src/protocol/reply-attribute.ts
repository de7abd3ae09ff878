import { encodeAttribute, requireAttribute, type EncryptionContext, type NamedAttribute } from './dictionary/attributes.js';
import type { Dictionary } from './dictionary/dictionary.js';
import type { RawAttribute } from './packet.js';

/**
 * A reply attribute: encoded once ahead of time, or kept by name when it is encrypted
 * (User-Password style or Tunnel-Password): those depend on each request's authenticator
 * (RFC 2865 §5.2, RFC 2868 §3.5) and are encoded per reply.
 */
export type ReplyAttribute = RawAttribute | NamedAttribute;

/**
 * Encodes what can be encoded now. An encrypted attribute is encoded once with a throwaway
 * secret and authenticator, so a bad value fails here, at load, and is kept by name.
 */
export function prepareReplyAttribute(dictionary: Dictionary, attribute: NamedAttribute): ReplyAttribute {
  if (requireAttribute(dictionary, attribute.name).encrypt === 0) return encodeAttribute(dictionary, attribute);
  encodeAttribute(dictionary, attribute, { secret: Buffer.alloc(16, 1), requestAuthenticator: Buffer.alloc(16) });
  return attribute;
}

/** The bytes of a prepared attribute in one reply. */
export function encodeReplyAttribute(dictionary: Dictionary, attribute: ReplyAttribute, context: EncryptionContext): RawAttribute {
  return 'type' in attribute ? attribute : encodeAttribute(dictionary, attribute, context);
}

/**
 * Octets the attribute takes in a reply, its type and length octets included. An encrypted
 * value's length depends only on the value (RFC 2865 §5.2 pads to 16 octets, RFC 2868 §3.5
 * adds the salt), so a throwaway secret and authenticator measure it.
 */
export function replyAttributeOctets(dictionary: Dictionary, attribute: ReplyAttribute): number {
  const encoded = encodeReplyAttribute(dictionary, attribute, { secret: Buffer.alloc(16, 1), requestAuthenticator: Buffer.alloc(16) });
  return 2 + encoded.value.length;
}
