/**
 * Where the user copies' bytes live (login/copy-codec.ts): fixed-size chunks, appended to,
 * never written over. A copy is addressed by one number (chunk and position), which V8
 * keeps inline in the index Map (a small integer), so a copy costs no object.
 *
 * Chunks, not one buffer that doubles: growing never copies what is there, and a million
 * copies never need two arenas' worth of memory at once while loading. Never written over:
 * a Buffer view handed to a login (the token secret) stays right whatever happens after.
 * A replaced or removed copy is garbage until compact() moves the live copies to fresh
 * chunks, which it does once garbage passes a quarter of what is held.
 */
const CHUNK_BITS = 20;
const CHUNK_BYTES = 1 << CHUNK_BITS;
/** Offsets stay below 2^31: V8 small integers on every platform. */
const MAX_CHUNKS = 2 ** (31 - CHUNK_BITS);
/** Compaction waits for at least this much garbage, and for a quarter of the bytes held. */
const COMPACT_MIN_GARBAGE = CHUNK_BYTES;
const COMPACT_FRACTION = 0.25;

export class CopyArena {
  private chunks: Buffer[] = [];
  /** Where the next copy goes in the last chunk. */
  private tail = CHUNK_BYTES;
  /** Bytes of live copies and of garbage (length prefixes included). */
  private live = 0;
  private garbage = 0;

  /** The largest copy the arena holds; a larger record is not copied (its logins read it). */
  static readonly maxCopyBytes = CHUNK_BYTES - 8;

  get liveBytes(): number {
    return this.live;
  }

  get garbageBytes(): number {
    return this.garbage;
  }

  /** Bytes allocated for chunks (what the copies cost in memory, with the unused tail). */
  get allocatedBytes(): number {
    return this.chunks.length * CHUNK_BYTES;
  }

  /** The chunk holding a copy and where its body starts (after the length prefix). */
  locate(offset: number): { bytes: Buffer; at: number } {
    const bytes = this.chunks[offset >>> CHUNK_BITS]!;
    let at = offset & (CHUNK_BYTES - 1);
    while (bytes[at++]! >= 0x80);
    return { bytes, at };
  }

  private lengthAt(offset: number): number {
    const bytes = this.chunks[offset >>> CHUNK_BITS]!;
    let at = offset & (CHUNK_BYTES - 1);
    let length = 0;
    let scale = 1;
    let byte: number;
    const start = at;
    do {
      byte = bytes[at++]!;
      length += (byte & 0x7f) * scale;
      scale *= 0x80;
    } while (byte >= 0x80);
    return length + (at - start);
  }

  /** Stores a copy's bytes [0, length) of `source`; its offset. Throws past 2 GB. */
  append(source: Buffer, length: number): number {
    let prefix = 1;
    for (let rest = length; rest >= 0x80; rest = Math.floor(rest / 0x80)) prefix++;
    const total = prefix + length;
    if (total > CHUNK_BYTES) throw new RangeError(`a user copy of ${length} bytes is larger than a chunk`);
    if (this.tail + total > CHUNK_BYTES) {
      if (this.chunks.length >= MAX_CHUNKS) throw new RangeError('user copies are full (2 GB)');
      // Not from Node's pool, and not zeroed: every byte used is written first.
      this.chunks.push(Buffer.allocUnsafeSlow(CHUNK_BYTES));
      this.tail = 0;
    }
    const chunk = this.chunks[this.chunks.length - 1]!;
    const offset = ((this.chunks.length - 1) << CHUNK_BITS) | this.tail;
    let at = this.tail;
    for (let rest = length; ; rest = Math.floor(rest / 0x80)) {
      if (rest < 0x80) {
        chunk[at++] = rest;
        break;
      }
      chunk[at++] = (rest % 0x80) | 0x80;
    }
    source.copy(chunk, at, 0, length);
    this.tail = at + length;
    this.live += total;
    return offset;
  }

  /** The copy at `offset` is no longer used (replaced, evicted, removed). */
  release(offset: number): void {
    const total = this.lengthAt(offset);
    this.live -= total;
    this.garbage += total;
  }

  needsCompaction(): boolean {
    return this.garbage >= COMPACT_MIN_GARBAGE && this.garbage > (this.live + this.garbage) * COMPACT_FRACTION;
  }

  /**
   * Moves every copy in `index` (name → offset) to fresh chunks, in the index's order, and
   * points the index at them; the old chunks are then unreferenced (views handed out keep
   * theirs alive until the login that holds them ends).
   */
  compact(index: Map<string, number>): void {
    const old = this.chunks;
    this.chunks = [];
    this.tail = CHUNK_BYTES;
    this.live = 0;
    this.garbage = 0;
    for (const [name, offset] of index) {
      const bytes = old[offset >>> CHUNK_BITS]!;
      const start = offset & (CHUNK_BYTES - 1);
      let at = start;
      let length = 0;
      let scale = 1;
      let byte: number;
      do {
        byte = bytes[at++]!;
        length += (byte & 0x7f) * scale;
        scale *= 0x80;
      } while (byte >= 0x80);
      index.set(name, this.append(bytes.subarray(at, at + length), length));
    }
  }
}
