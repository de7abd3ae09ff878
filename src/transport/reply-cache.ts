/**
 * Duplicate detection and reply caching (RFC 5080 §2.2.2).
 *
 * A NAS that hears nothing retransmits the same request: same source address and port,
 * Identifier and Request Authenticator. It must get the same answer, and the request must
 * not be evaluated twice (a second evaluation could consume a second use of a code).
 * Entries are keyed by address, port and Identifier; the authenticator decides whether a
 * packet is a retransmission or a new request that reuses the Identifier, in which case
 * it replaces the entry.
 */

export type CacheLookup =
  | { readonly kind: 'new' }
  | { readonly kind: 'in-progress' }
  | { readonly kind: 'retransmission'; readonly reply: Buffer };

interface Entry {
  readonly authenticator: Buffer;
  reply: Buffer | undefined;
  expiresAt: number;
}

export interface ReplyCacheOptions {
  /** How long a sent reply is kept for retransmissions. */
  readonly ttlMs: number;
  /** Bound on entries; the oldest are dropped first. */
  readonly maxEntries: number;
  /** How long an unanswered entry may stay (the request deadline plus any reject delay). */
  readonly pendingTtlMs: number;
  readonly now?: () => number;
}

export function replyCacheKey(address: string, port: number, identifier: number): string {
  return `${address}|${port}|${identifier}`;
}

export class ReplyCache {
  // A Map iterates in insertion order; entries are re-inserted when they are answered,
  // so the front of the map always holds the entries that expire first.
  private readonly entries = new Map<string, Entry>();
  private readonly now: () => number;

  constructor(private readonly options: ReplyCacheOptions) {
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * Looks a request up and, when it is new, records it as in progress. The caller must
   * later call `complete` or `abandon` with the same key and authenticator.
   */
  begin(key: string, authenticator: Buffer): CacheLookup {
    const now = this.now();
    this.sweep(now);
    const entry = this.entries.get(key);
    if (entry !== undefined && entry.expiresAt > now && entry.authenticator.equals(authenticator)) {
      return entry.reply === undefined ? { kind: 'in-progress' } : { kind: 'retransmission', reply: entry.reply };
    }
    this.entries.delete(key);
    this.entries.set(key, {
      authenticator: Buffer.from(authenticator),
      reply: undefined,
      expiresAt: now + this.options.pendingTtlMs,
    });
    this.evictOverflow();
    return { kind: 'new' };
  }

  /** Stores the reply sent for a request, unless a newer request replaced the entry. */
  complete(key: string, authenticator: Buffer, reply: Buffer): void {
    const entry = this.entries.get(key);
    if (entry === undefined || !entry.authenticator.equals(authenticator)) return;
    entry.reply = reply;
    entry.expiresAt = this.now() + this.options.ttlMs;
    this.entries.delete(key);
    this.entries.set(key, entry);
  }

  /** Forgets a request that got no reply (dropped, timed out), so a retry is evaluated afresh. */
  abandon(key: string, authenticator: Buffer): void {
    const entry = this.entries.get(key);
    if (entry !== undefined && entry.authenticator.equals(authenticator)) this.entries.delete(key);
  }

  private sweep(now: number): void {
    // Bounded work per call: the map is roughly ordered by expiry, so stop at the first
    // live entry. A few long-lived pending entries may shield expired ones behind them
    // until they finish; the size bound still holds.
    let budget = 64;
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt > now || budget-- === 0) break;
      this.entries.delete(key);
    }
  }

  private evictOverflow(): void {
    while (this.entries.size > this.options.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) return;
      this.entries.delete(oldest.value);
    }
  }
}
