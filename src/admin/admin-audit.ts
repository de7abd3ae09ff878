import type { Logger } from 'pino';

export interface Actor {
  /** Who did it: --operator, or the OS user running the CLI. */
  readonly operator: string;
  /** --reason: the ticket or the why, recorded with the action. */
  readonly reason: string | undefined;
  /**
   * A user acting on a self-service page rather than an operator (issue 18): the audit
   * entry is then a `self-service` entry, with the address the request came from.
   */
  readonly selfService?: { readonly source: string };
}

/**
 * C0 and C1 controls, the Unicode line separators and U+FFFD (what Node makes of bytes
 * that are not UTF-8): the operator and reason go into audit lines, which must not be
 * forgeable, as user names may not contain them either.
 */
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufffd]/;

/**
 * What is wrong with an actor, whoever names it (the CLI's --operator and --reason, the
 * console's signed-in operator and the reason typed in a form); `reasonOption` is how the
 * caller names each in its messages.
 */
export function actorProblem(actor: Actor, names: { readonly operator: string; readonly reason: string }): string | undefined {
  const { operator, reason } = actor;
  if (operator === '' || operator.length > 64 || UNPRINTABLE.test(operator)) return `${names.operator} must be 1 to 64 printable characters`;
  if (reason !== undefined && (reason.length > 200 || UNPRINTABLE.test(reason))) return `${names.reason} must be at most 200 printable characters`;
  return undefined;
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
    const via = actor.selfService === undefined ? { event: 'admin' } : { event: 'self-service', source: actor.selfService.source };
    const entry = { ...via, action, user, operator: actor.operator, reason: actor.reason, ...details };
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
