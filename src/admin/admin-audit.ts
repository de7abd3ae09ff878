import type { Logger } from 'pino';

export interface Actor {
  /** Who did it: --operator, or the OS user running the CLI. */
  readonly operator: string;
  /** --reason: the ticket or the why, recorded with the action. */
  readonly reason: string | undefined;
}

/** Where admin actions are kept besides the log (the Redis audit stream). */
export type AdminAuditSink = (entry: Readonly<Record<string, string>>) => Promise<void>;

/**
 * One JSON line per admin action, marked `"audit":true` (SPEC "Observability"), and the
 * same entry appended to the Redis audit stream, so that actions taken with the CLI on any
 * host are kept in one place.
 */
export class AdminAudit {
  private readonly logger: Logger;

  constructor(
    logger: Logger,
    private readonly sink: AdminAuditSink,
  ) {
    this.logger = logger.child({ audit: true });
  }

  /** Failing to record an action is logged, not fatal: the action itself already happened. */
  async record(action: string, user: string | undefined, actor: Actor, details: Readonly<Record<string, unknown>> = {}): Promise<void> {
    const entry = { event: 'admin', action, user, operator: actor.operator, reason: actor.reason, ...details };
    this.logger.info(entry, `${action}${user === undefined ? '' : ` ${user}`}`);
    const fields: Record<string, string> = { at: new Date().toISOString() };
    for (const [key, value] of Object.entries(entry)) {
      if (value !== undefined) fields[key] = typeof value === 'string' ? value : JSON.stringify(value);
    }
    try {
      await this.sink(fields);
    } catch (error) {
      this.logger.warn({ err: error, action }, 'could not append the admin action to the Redis audit stream');
    }
  }
}
