import { randomFillSync } from 'node:crypto';

/**
 * 16-byte Request Authenticators cut from a pool refilled with the CSPRNG 4096 at a time:
 * one randomFillSync per 4096 requests instead of one call each. Each packet keeps its
 * own copy (the pool is overwritten later).
 */
export class AuthenticatorPool {
  private readonly pool = Buffer.allocUnsafe(16 * 4096);
  private offset = this.pool.length;

  next(): Buffer {
    if (this.offset === this.pool.length) {
      randomFillSync(this.pool);
      this.offset = 0;
    }
    const value = this.pool.subarray(this.offset, this.offset + 16);
    this.offset += 16;
    return value;
  }
}
