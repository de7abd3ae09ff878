import type { Logger } from 'pino';
import type { NasContext } from '../credentials/login-attempt.js';

/** The fields of one decision line. Only ids and outcomes: never a password, PIN or code. */
export interface LoginLogEntry {
  /** The client, and what the NAS said of itself and the caller (SPEC "Observability"). */
  readonly from: NasContext;
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
        client: entry.from.client,
        // NAS-Identifier, else its address: the NAS as one field, as the line always had it.
        nas: entry.from.nasIdentifier ?? entry.from.nasAddress,
        nas_address: entry.from.nasAddress,
        nas_identifier: entry.from.nasIdentifier,
        calling_station_id: entry.from.callingStationId,
        nas_port: entry.from.nasPort,
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

  /** An alert (login-alerts.ts): a warning line, with the same fields as the audit stream's entry. */
  alert(fields: Readonly<Record<string, string | number | undefined>>, message: string): void {
    this.logger.warn({ event: 'alert', ...fields }, message);
  }
}
