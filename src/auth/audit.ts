import type { Logger } from 'pino';

/** The fields of one decision line. Only ids and outcomes: never a password, PIN or code. */
export interface DecisionAudit {
  readonly client: string;
  readonly nas: string | undefined;
  readonly source: string;
  readonly user: string | undefined;
  readonly method: string | undefined;
  readonly result: 'accept' | 'reject' | 'challenge' | 'dropped';
  readonly reason: string | undefined;
  readonly codeId: string | undefined;
  readonly latencyMs: number;
  readonly replayed: boolean;
}

export interface Actor {
  /** Who did it: --operator, or the OS user running the CLI. */
  readonly operator: string;
  /** --reason: the ticket or the why, recorded with the action. */
  readonly reason: string | undefined;
}

/**
 * One JSON line per decision and per admin action, marked `"audit":true` so log shipping
 * can route them apart from operational logs (SPEC "Observability").
 */
/** Where admin actions are kept besides the log (the Redis audit stream). */
export type AdminAuditSink = (entry: Record<string, string>) => Promise<void>;

export class AuditLog {
  private readonly logger: Logger;

  constructor(
    logger: Logger,
    private readonly adminSink?: AdminAuditSink,
  ) {
    this.logger = logger.child({ audit: true });
  }

  /** False when decision lines are not logged: the handler then skips building them. */
  get decisionsLogged(): boolean {
    return this.logger.isLevelEnabled('info');
  }

  decision(entry: DecisionAudit): void {
    this.logger.info(
      {
        event: 'decision',
        client: entry.client,
        nas: entry.nas,
        source: entry.source,
        user: entry.user,
        method: entry.method,
        result: entry.result,
        reason: entry.reason,
        code_id: entry.codeId,
        latency_ms: Math.round(entry.latencyMs * 100) / 100,
        replayed: entry.replayed || undefined,
      },
      `${entry.result} ${entry.user ?? '(no user)'}`,
    );
  }

  /** A tokencode from a token marked lost: someone holds the lost token (SPEC "Tokens"). */
  lostTokenAlert(user: string, client: string, source: string): void {
    this.logger.warn({ event: 'alert', alert: 'lost-token-used', user, client, source }, `tokencode of a lost token used for ${user}`);
  }

  /**
   * An admin action: logged, and appended to the Redis audit stream so that actions taken
   * with the CLI on any host are kept in one place. Failing to record it is logged, not
   * fatal: the action itself already happened.
   */
  async admin(action: string, user: string | undefined, actor: Actor, details: Record<string, unknown> = {}): Promise<void> {
    const entry = { event: 'admin', action, user, operator: actor.operator, reason: actor.reason, ...details };
    this.logger.info(entry, `${action}${user === undefined ? '' : ` ${user}`}`);
    if (this.adminSink === undefined) return;
    const fields: Record<string, string> = { at: new Date().toISOString() };
    for (const [key, value] of Object.entries(entry)) {
      if (value !== undefined) fields[key] = typeof value === 'string' ? value : JSON.stringify(value);
    }
    try {
      await this.adminSink(fields);
    } catch (error) {
      this.logger.warn({ err: error, action }, 'could not append the admin action to the Redis audit stream');
    }
  }
}
