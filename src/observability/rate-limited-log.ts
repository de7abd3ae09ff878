import type { Logger } from 'pino';

/**
 * Logs a warning at most once per interval per key, and says how many were suppressed.
 * A flood of packets from an unknown address or of malformed packets must not become a
 * flood of log lines (disk, log shipping and the event loop all pay for each one).
 */
export class RateLimitedWarning {
  private readonly lastLogged = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs = 60_000,
    private readonly maxKeys = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  warn(key: string, fields: Record<string, unknown>, message: string): void {
    const now = this.now();
    const entry = this.lastLogged.get(key);
    if (entry !== undefined && now - entry.at < this.intervalMs) {
      entry.suppressed++;
      return;
    }
    if (entry === undefined && this.lastLogged.size >= this.maxKeys) this.lastLogged.clear();
    const suppressed = entry?.suppressed ?? 0;
    this.lastLogged.set(key, { at: now, suppressed: 0 });
    this.logger.warn(suppressed > 0 ? { ...fields, suppressed } : fields, message);
  }
}
