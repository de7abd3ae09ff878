/** One attribute as it travels: its type number and its value octets. */
export interface RawAttribute {
  readonly type: number;
  readonly value: Buffer;
}

/** A decoded packet. Values are views into `raw`, not copies. */
export interface RadiusPacket {
  readonly code: number;
  readonly identifier: number;
  /** Request or Response Authenticator, 16 octets. */
  readonly authenticator: Buffer;
  readonly attributes: readonly RawAttribute[];
  /** The packet bytes up to its Length field (anything past Length is ignored). */
  readonly raw: Buffer;
  /** Offset in `raw` of the Message-Authenticator's 16-byte value, or -1 if absent. */
  readonly messageAuthenticatorOffset: number;
}

/** First attribute of a type, or undefined. */
export function findAttribute(packet: RadiusPacket, type: number): Buffer | undefined {
  for (const attribute of packet.attributes) {
    if (attribute.type === type) return attribute.value;
  }
  return undefined;
}

export function hasAttribute(packet: RadiusPacket, type: number): boolean {
  return findAttribute(packet, type) !== undefined;
}
