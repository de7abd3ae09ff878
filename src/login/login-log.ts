import type { Logger } from 'pino';

/** The fields of one decision line. Only ids and outcomes: never a password, PIN or code. */
export interface LoginLogEntry {
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

/**
 * One JSON line per login decision, and one per alert, marked `"audit":true` so log
 * shipping can route them apart from operational logs (SPEC "Observability").
 */
export class LoginLog {
  private readonly logger: Logger;

  constructor(logger: Logger) {
    this.logger = logger.child({ audit: true });
  }

  /** False when decision lines are not logged: the policy then skips building them. */
  get enabled(): boolean {
    return this.logger.isLevelEnabled('info');
  }

  decision(entry: LoginLogEntry): void {
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
}
