import type { Logger } from 'pino';
import type { NasContext } from '../credentials/login-attempt.js';
import type { LoginLog } from './login-log.js';

/** What an alert is about. */
export type AlertKind = 'lost-token-used' | 'locked-out';

/** Where alerts are kept besides the log: the Redis audit stream, beside the admin actions. */
export type AlertSink = (entry: Readonly<Record<string, string>>) => Promise<void>;

/**
 * The login events an admin must hear of even when nobody asked about the user (SPEC
 * "Tokens": every use of a lost token's tokencode is an audit alert; a lockout): a warning
 * line, and an entry in the audit stream, where `radgate audit --kind alert` finds them
 * for every gateway in one place. Rare by construction (a lockout happens once per lock), so
 * the extra write costs the login path nothing in the common case; it is not awaited, so
 * it never holds up a reply.
 */
export class LoginAlerts {
  constructor(
    private readonly log: LoginLog,
    private readonly sink: AlertSink,
    private readonly logger: Logger,
  ) {}

  lostTokenUsed(user: string, from: NasContext, source: string): void {
    this.raise('lost-token-used', user, from, source, undefined, `tokencode of a lost token used for ${user}`);
  }

  /** `reason`: the refusal that reached max_failures. */
  lockedOut(user: string, from: NasContext, source: string, reason: string): void {
    this.raise('locked-out', user, from, source, reason, `${user} locked out after too many failures`);
  }

  private raise(alert: AlertKind, user: string, from: NasContext, source: string, reason: string | undefined, message: string): void {
    const fields = {
      alert,
      user,
      client: from.client,
      source,
      nas: from.nasAddress,
      nas_identifier: from.nasIdentifier,
      calling_station_id: from.callingStationId,
      nas_port: from.nasPort,
      reason,
    };
    this.log.alert(fields, message);
    const entry: Record<string, string> = { at: new Date().toISOString(), event: 'alert' };
    for (const [key, value] of Object.entries(fields)) if (value !== undefined) entry[key] = String(value);
    this.sink(entry).catch((error: unknown) => this.logger.warn({ err: error, alert }, 'could not append the alert to the Redis audit stream'));
  }
}
