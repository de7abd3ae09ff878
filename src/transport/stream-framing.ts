import { MAX_PACKET_LENGTH, MIN_PACKET_LENGTH } from '../protocol/codes.js';

/** Why a stream can no longer be read as RADIUS packets. */
export type FramingProblem = 'length-too-small' | 'length-too-large';

/**
 * RADIUS packets out of a byte stream (RFC 6614 §2.5, RFC 6613 §2.1): each packet's own
 * Length field says where it ends, so one read may hold half a packet or several. A Length
 * below 20 or above 4096 cannot be skipped: nothing says where the next packet starts, so
 * the stream is useless and the connection must be closed (RFC 6613 §2.6.4). Bytes are
 * copied out of the reads only when a packet spans two of them.
 */
export class PacketFramer {
  private buffered: Buffer = Buffer.alloc(0);

  /** Octets of a packet begun and not yet complete. */
  get pending(): number {
    return this.buffered.length;
  }

  /** The packets completed by `chunk`, or the problem that ends the stream. */
  push(chunk: Buffer): Buffer[] | FramingProblem {
    let data = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const packets: Buffer[] = [];
    while (data.length >= 4) {
      // RFC 2865 §3: Length covers the whole packet, header included.
      const length = data.readUInt16BE(2);
      if (length < MIN_PACKET_LENGTH) return 'length-too-small';
      if (length > MAX_PACKET_LENGTH) return 'length-too-large';
      if (data.length < length) break;
      packets.push(data.subarray(0, length));
      data = data.subarray(length);
    }
    // A copy, so a long-lived partial packet does not pin a large read buffer.
    this.buffered = data.length === 0 ? Buffer.alloc(0) : Buffer.from(data);
    return packets;
  }
}

