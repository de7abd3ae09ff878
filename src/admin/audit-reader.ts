import type { RecordedAttempt } from '../credentials/login-attempt.js';
import type { CredentialRepository } from '../store/credential-repository.js';
import { iso } from './views.js';

/** What `radgate audit` lists: admin actions, login attempts, alerts, users' own self-service actions. */
export const AUDIT_KINDS = ['admin', 'login', 'alert', 'self-service'] as const;
export type AuditKind = (typeof AUDIT_KINDS)[number];

/** One login attempt as the helpdesk reads it: never the password, a PIN or a code. */
export interface AttemptView {
  readonly at: string;
  readonly result: RecordedAttempt['result'];
  readonly method: string | null;
  readonly reason: string | null;
  readonly lockedNow: boolean;
  readonly codeId: string | null;
  readonly client: string;
  readonly nasAddress: string | null;
  readonly nasIdentifier: string | null;
  readonly callingStationId: string | null;
  readonly nasPort: number | null;
}

export function attemptView(attempt: RecordedAttempt): AttemptView {
  return {
    at: iso(attempt.at),
    result: attempt.result,
    method: attempt.method ?? null,
    reason: attempt.reason ?? null,
    lockedNow: attempt.lockedNow,
    codeId: attempt.codeId ?? null,
    client: attempt.client,
    nasAddress: attempt.nasAddress ?? null,
    nasIdentifier: attempt.nasIdentifier ?? null,
    callingStationId: attempt.callingStationId ?? null,
    nasPort: attempt.nasPort ?? null,
  };
}

/** One entry of `radgate audit`, newest first in its listing. */
export type AuditEntryView =
  | { readonly kind: 'login'; readonly at: string; readonly user: string; readonly attempt: AttemptView }
  | {
      readonly kind: 'admin' | 'alert' | 'self-service';
      readonly at: string;
      readonly user: string | null;
      /** The admin action (`code.issue`) or the alert (`lost-token-used`, `locked-out`). */
      readonly event: string;
      readonly operator: string | null;
      readonly reason: string | null;
      /** The entry's other fields, as recorded. */
      readonly details: Readonly<Record<string, string>>;
    };

export interface AuditQuery {
  readonly user: string | undefined;
  /** Entries from this time on (ms). */
  readonly sinceMs: number;
  readonly kinds: ReadonlySet<AuditKind>;
  /** At most this many entries, the newest. */
  readonly limit: number;
  /** Only admin actions by this operator (the console's audit filters). */
  readonly operator?: string;
  /** Only this admin action or alert (`code.issue`, `locked-out`). */
  readonly event?: string;
}

/** Stream entries read per round trip while looking for matches. */
const STREAM_PAGE = 500;
/** The fields an audit entry view names; the rest are its details. */
const NAMED_FIELDS: ReadonlySet<string> = new Set(['at', 'event', 'action', 'alert', 'user', 'operator', 'reason']);

function streamEntryView(id: string, fields: Readonly<Record<string, string>>): AuditEntryView {
  // Entries written before alerts were recorded have no `event`: they are all admin actions.
  const kind = fields.event === 'alert' ? 'alert' : fields.event === 'self-service' ? 'self-service' : 'admin';
  const details: Record<string, string> = {};
  for (const [key, value] of Object.entries(fields)) if (!NAMED_FIELDS.has(key)) details[key] = value;
  return {
    kind,
    // The stream id is the time Redis added it, should an entry lack its own.
    at: fields.at ?? iso(Number(id.split('-')[0])),
    user: fields.user ?? null,
    event: (kind === 'alert' ? fields.alert : fields.action) ?? '?',
    operator: fields.operator ?? null,
    reason: fields.reason ?? null,
    details,
  };
}

/** Whether a stream entry (an admin action or an alert) answers the query. */
function matches(view: AuditEntryView, query: AuditQuery): boolean {
  if (view.kind === 'login' || !query.kinds.has(view.kind)) return false;
  if (query.user !== undefined && view.user !== query.user) return false;
  return (query.operator === undefined || view.operator === query.operator) && (query.event === undefined || view.event === query.event);
}

/**
 * Who did what: the admin audit stream (admin actions, and the gateway's alerts) and each
 * user's last login attempts (decide.lua keeps them), read for the helpdesk. Reads only.
 */
export class AuditReader {
  constructor(private readonly repository: CredentialRepository) {}

  /** The user's last login attempts, newest first (at most ATTEMPTS_KEPT). */
  async attempts(user: string): Promise<AttemptView[]> {
    return (await this.repository.recentAttempts(user)).map(attemptView);
  }

  /**
   * The newest entries matching the query, newest first. Login attempts are kept per user,
   * so they are only listed for `query.user`.
   */
  async query(query: AuditQuery): Promise<AuditEntryView[]> {
    const entries: AuditEntryView[] = [];
    if (query.kinds.has('login') && query.user !== undefined && query.operator === undefined && query.event === undefined) {
      const user = query.user;
      for (const attempt of await this.repository.recentAttempts(user)) {
        if (attempt.at >= query.sinceMs) entries.push({ kind: 'login', at: iso(attempt.at), user, attempt: attemptView(attempt) });
      }
    }
    if (query.kinds.has('admin') || query.kinds.has('alert') || query.kinds.has('self-service')) entries.push(...(await this.streamEntries(query)));
    // ISO strings in UTC sort as their instants do.
    return entries.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0)).slice(0, query.limit);
  }

  /** Pages back through the stream until `limit` entries match or it reaches `sinceMs`. */
  private async streamEntries(query: AuditQuery): Promise<AuditEntryView[]> {
    const found: AuditEntryView[] = [];
    let before = '+';
    while (found.length < query.limit) {
      const page = await this.repository.auditPage(before, query.sinceMs, STREAM_PAGE);
      for (const { id, fields } of page) {
        const view = streamEntryView(id, fields);
        if (matches(view, query)) found.push(view);
        if (found.length === query.limit) break;
      }
      if (page.length < STREAM_PAGE) break;
      before = page[page.length - 1]!.id;
    }
    return found;
  }
}
