import { AttributeType, MAX_PACKET_LENGTH } from '../protocol/codes.js';
import type { Dictionary } from '../protocol/dictionary/dictionary.js';
import { replyLength } from '../protocol/encode.js';
import type { RadiusPacket } from '../protocol/packet.js';
import { replyAttributeOctets, type ReplyAttribute } from '../protocol/reply-attribute.js';

/**
 * Whether every reply a request could get fits in a RADIUS packet, known before the request
 * is decided. A reply is at most 4096 octets (RFC 2865 §3, "Length") and must carry every
 * Proxy-State of the request, unmodified and in order (§5.33), besides the answer's own
 * attributes and the Message-Authenticator (RFC 3579 §3.2). A longer reply cannot be sent
 * (FreeRADIUS never sends one either), and one cut short would lose Proxy-State, breaking
 * the proxy chain, or the answer's authorization attributes. Found only after the
 * decision, the silence would come after a single-use code was spent: so the request is
 * dropped before it is decided, as if it had never arrived.
 */
export class ReplySizeCheck {
  /** The octets of the largest attribute list an answer can carry. */
  readonly largestAnswerOctets: number;

  constructor(dictionary: Dictionary, possibleReplies: readonly (readonly ReplyAttribute[])[]) {
    let largest = 0;
    for (const attributes of possibleReplies) {
      let octets = 0;
      for (const attribute of attributes) octets += replyAttributeOctets(dictionary, attribute);
      largest = Math.max(largest, octets);
    }
    this.largestAnswerOctets = largest;
  }

  /**
   * The length of the largest reply `packet` could get, if that is more than a packet may
   * be; undefined when every reply fits. Status-Server is answered without attributes.
   */
  overflow(packet: RadiusPacket, isStatusServer: boolean): number | undefined {
    let octets = isStatusServer ? 0 : this.largestAnswerOctets;
    for (const attribute of packet.attributes) {
      if (attribute.type === AttributeType.ProxyState) octets += 2 + attribute.value.length;
    }
    const length = replyLength(octets);
    return length > MAX_PACKET_LENGTH ? length : undefined;
  }
}
