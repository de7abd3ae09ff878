/**
 * The Identifiers of one socket (RFC 2865 §3: a NAS must not reuse one while its request
 * may still be answered): never two in flight, handed out first in first out, so each
 * rests as long as possible between uses.
 */
export class IdentifierPool {
  private readonly ring = new Uint8Array(256);
  private head = 0;
  private count = 256;

  constructor() {
    for (let i = 0; i < 256; i++) this.ring[i] = i;
  }

  get free(): number {
    return this.count;
  }

  take(): number | undefined {
    if (this.count === 0) return undefined;
    const id = this.ring[this.head]!;
    this.head = (this.head + 1) & 0xff;
    this.count--;
    return id;
  }

  release(id: number): void {
    this.ring[(this.head + this.count) & 0xff] = id;
    this.count++;
  }
}
