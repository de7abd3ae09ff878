import type { Logger } from 'pino';

/**
 * Warning lines one topic may write per interval, over all its keys. A real misconfiguration
 * is a handful of NASes, each a few lines a minute; 100 shows every one of them, while a
 * flood of datagrams from spoofed sources (each a key of its own) costs at most 100 lines
 * of a few hundred bytes a minute per gateway process instead of one line per source.
 */
export const DEFAULT_WARNING_BUDGET = 100;

/** A pending call of `schedule`, which `cancel` withdraws. */
export interface Scheduled {
  cancel(): void;
}

export interface RateLimitedWarningOptions {
  /** Named in the summary line, so an operator knows what was suppressed (e.g. "unknown sources"). */
  readonly topic: string;
  /** At most one line per key per interval; the budget is per interval too. Default one minute. */
  readonly intervalMs?: number;
  /** Keys remembered at once; past it the memory is cleared (a flood must not grow it). */
  readonly maxKeys?: number;
  /** Lines per interval over every key (DEFAULT_WARNING_BUDGET). */
  readonly budget?: number;
  readonly now?: () => number;
  /** Runs `callback` after `ms` without holding the process open; tests pass their own. */
  readonly schedule?: (callback: () => void, ms: number) => Scheduled;
}

function scheduleUnref(callback: () => void, ms: number): Scheduled {
  const timer = setTimeout(callback, ms);
  timer.unref();
  return { cancel: () => clearTimeout(timer) };
}

/**
 * Logs a warning at most once per interval per key, and says how many were suppressed.
 * A flood of packets from an unknown address or of malformed packets must not become a
 * flood of log lines (disk, log shipping and the event loop all pay for each one). Since
 * an attacker can pick a new key for every packet (a spoofed source address), the lines
 * of all keys together are also capped by a budget per interval; what the budget
 * suppresses is reported in one summary line when that interval ends.
 */
export class RateLimitedWarning {
  private readonly lastLogged = new Map<string, { at: number; suppressed: number }>();
  private readonly topic: string;
  private readonly intervalMs: number;
  private readonly maxKeys: number;
  private readonly budget: number;
  private readonly now: () => number;
  private readonly schedule: (callback: () => void, ms: number) => Scheduled;
  /** The interval the budget is counted in: from its first line, undefined until one comes. */
  private windowStart: number | undefined;
  private loggedInWindow = 0;
  private suppressedByBudget = 0;
  private summary: Scheduled | undefined;

  constructor(
    private readonly logger: Logger,
    options: RateLimitedWarningOptions,
  ) {
    this.topic = options.topic;
    this.intervalMs = options.intervalMs ?? 60_000;
    this.maxKeys = options.maxKeys ?? 10_000;
    this.budget = options.budget ?? DEFAULT_WARNING_BUDGET;
    this.now = options.now ?? Date.now;
    this.schedule = options.schedule ?? scheduleUnref;
  }

  warn(key: string, fields: Record<string, unknown>, message: string): void {
    const now = this.now();
    const entry = this.lastLogged.get(key);
    if (entry !== undefined && now - entry.at < this.intervalMs) {
      entry.suppressed++;
      return;
    }
    if (!this.withinBudget(now)) return;
    if (entry === undefined && this.lastLogged.size >= this.maxKeys) this.lastLogged.clear();
    const suppressed = entry?.suppressed ?? 0;
    this.lastLogged.set(key, { at: now, suppressed: 0 });
    this.logger.warn(suppressed > 0 ? { ...fields, suppressed } : fields, message);
  }

  /** Writes the summary of what the budget suppressed now, if anything (on shutdown). */
  flush(): void {
    this.summary?.cancel();
    this.summary = undefined;
    // The next line starts a new interval: the summary closes this one.
    this.windowStart = undefined;
    if (this.suppressedByBudget === 0) return;
    const suppressed = this.suppressedByBudget;
    this.suppressedByBudget = 0;
    this.logger.warn({ topic: this.topic, suppressed, budget: this.budget, interval_ms: this.intervalMs }, 'warnings suppressed: over the budget of lines per interval');
  }

  private withinBudget(now: number): boolean {
    if (this.windowStart === undefined || now - this.windowStart >= this.intervalMs) {
      this.flush();
      this.windowStart = now;
      this.loggedInWindow = 0;
    }
    if (this.loggedInWindow < this.budget) {
      this.loggedInWindow++;
      return true;
    }
    this.suppressedByBudget++;
    this.summary ??= this.schedule(() => this.flush(), this.windowStart + this.intervalMs - now);
    return false;
  }
}
