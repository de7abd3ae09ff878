/**
 * Many request deadlines on one timer. A per-request setTimeout, AbortController and
 * Promise.race cost several allocations and timer-heap operations per packet; here a
 * deadline is one Map entry. Every request has the same timeout, so insertion order is
 * expiry order and a tick stops at the first entry not yet due. Deadlines fire up to one
 * tick late, which is nothing against a timeout of seconds.
 */
export class Deadlines {
  private readonly pending = new Map<number, { readonly expiresAt: number; readonly expire: () => void }>();
  private nextId = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly tickMs = 20,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Calls `expire` once `timeoutMs` have passed, unless `cancel` comes first. */
  add(timeoutMs: number, expire: () => void): number {
    const id = this.nextId++;
    this.pending.set(id, { expiresAt: this.now() + timeoutMs, expire });
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.tick(), this.tickMs);
      this.timer.unref();
    }
    return id;
  }

  cancel(id: number): void {
    this.pending.delete(id);
  }

  private tick(): void {
    const now = this.now();
    for (const [id, entry] of this.pending) {
      if (entry.expiresAt > now) break;
      this.pending.delete(id);
      entry.expire();
    }
    if (this.pending.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
