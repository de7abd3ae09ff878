/**
 * The RADIUS codec: bytes in, typed values out, and back. Pure: no sockets, no Redis,
 * no logger, so it can be tested and fuzzed in isolation and reused by the CLI's client.
 */
export * from './codes.js';
export * from './errors.js';
export * from './packet.js';
export { decodePacket } from './decode.js';
export { encodeReply, encodeRequest, replyLength, type ReplySpec, type RequestSpec } from './encode.js';
export {
  randomAuthenticator,
  verifyMessageAuthenticator,
  verifyResponseAuthenticator,
  verifyAccountingRequestAuthenticator,
} from './authenticator.js';
export { hideUserPassword, unhideUserPassword, encryptTunnelPassword, decryptTunnelPassword } from './password.js';
export { Dictionary, type AttributeDefinition, type VendorDefinition, type DataType } from './dictionary/dictionary.js';
export { loadDictionary } from './dictionary/load.js';
export { parseDictionaryText } from './dictionary/parse.js';
export { encodeValue, decodeValue, type AttributeValue, type DecodedValue } from './dictionary/values.js';
export {
  encodeAttribute,
  describeAttributes,
  requireAttribute,
  type NamedAttribute,
  type EncryptionContext,
} from './dictionary/attributes.js';
export { checkRequestAuthenticity, type AuthenticityPolicy } from './verify-request.js';
export { encodeReplyAttribute, prepareReplyAttribute, replyAttributeOctets, type ReplyAttribute } from './reply-attribute.js';
