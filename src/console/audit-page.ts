import type { FastifyInstance } from 'fastify';
import { attemptOutcome, attemptSource } from '../admin/attempt-text.js';
import { AUDIT_KINDS, type AuditEntryView, type AuditKind } from '../admin/audit-reader.js';
import { formatInZone } from '../credentials/time-zone.js';
import { ConsoleRefusal } from './access.js';
import { userNamed, userPath } from './forms.js';
import { html, type Html } from '../web/html.js';
import { page } from './layout.js';
import type { ConsoleContext } from './server.js';
import { operatorOf, sendPage, takeFlash } from './user-pages.js';

const LIMIT = 200;
/** How far back the view looks, as the select offers it. */
const SINCE: Readonly<Record<string, number>> = { '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000, all: Number.POSITIVE_INFINITY };

function details(entry: AuditEntryView): string {
  if (entry.kind === 'login') {
    const [client, nas, nasId, calling, port] = attemptSource(entry.attempt);
    return `client ${client}, nas ${nas}, nas-id ${nasId}, calling-station ${calling}, port ${port}`;
  }
  return Object.entries(entry.details)
    .map(([key, value]) => `${key} ${value}`)
    .join(', ');
}

/** The audit view (the CLI's `radgate audit`), filtered by user, operator, action, kind and time. Reads only. */
export function auditRoutes(app: FastifyInstance, context: ConsoleContext): void {
  app.get('/audit', { config: { allow: 'read' } }, async (request, reply) => {
    const { config } = context.rules.current;
    const query = request.query as Record<string, string | undefined>;
    const typedUser = (query.user ?? '').trim();
    const user = typedUser === '' ? undefined : userNamed(typedUser, config.policy);
    const operatorFilter = (query.operator ?? '').trim() || undefined;
    const event = (query.action ?? '').trim() || undefined;
    const kind = (query.kind ?? '') as AuditKind | '';
    if (kind !== '' && !AUDIT_KINDS.includes(kind)) throw new ConsoleRefusal(400, 'No such kind of entry.');
    const since = query.since !== undefined && SINCE[query.since] !== undefined ? query.since : '24h';
    const kinds = new Set<AuditKind>(kind === '' ? AUDIT_KINDS.filter((candidate) => candidate !== 'login' || user !== undefined) : [kind]);
    const span = SINCE[since]!;
    const entries = await context.backend.audit.query({
      user,
      sinceMs: Number.isFinite(span) ? context.clock() - span : 0,
      kinds,
      limit: LIMIT,
      ...(operatorFilter === undefined ? {} : { operator: operatorFilter }),
      ...(event === undefined ? {} : { event }),
    });
    const when = (iso: string): string => formatInZone(Date.parse(iso), config.timeZone);
    const rows: Html[] = entries.map(
      (entry) => html`<tr><td>${when(entry.at)}</td><td>${entry.kind}</td><td>${entry.user === null ? '-' : html`<a href="${userPath(entry.user)}">${entry.user}</a>`}</td>
<td>${entry.kind === 'login' ? attemptOutcome(entry.attempt) : entry.event}</td><td>${entry.kind === 'login' ? '-' : (entry.operator ?? '-')}</td><td>${entry.kind === 'login' ? '-' : (entry.reason ?? '-')}</td><td>${details(entry)}</td></tr>`,
    );
    const option = (value: string, label: string, selected: string): Html => html`<option value="${value}"${value === selected ? html` selected` : ''}>${label}</option>`;
    const content = html`<form method="get" action="/audit" class="actions">
<div><label for="user">User</label><input id="user" name="user" value="${typedUser}" autocomplete="off" autocapitalize="none" spellcheck="false"></div>
<div><label for="operator">Operator</label><input id="operator" name="operator" value="${operatorFilter ?? ''}" autocomplete="off" autocapitalize="none"></div>
<div><label for="action">Action</label><input id="action" name="action" value="${event ?? ''}" autocomplete="off" placeholder="code.issue"></div>
<div><label for="kind">Kind</label><select id="kind" name="kind">${option('', 'All', kind)}${AUDIT_KINDS.map((candidate) => option(candidate, candidate === 'login' ? 'login attempts (with a user)' : `${candidate} entries`, kind))}</select></div>
<div><label for="since">Since</label><select id="since" name="since">${Object.keys(SINCE).map((key) => option(key, key === 'all' ? 'the beginning' : `the last ${key}`, since))}</select></div>
<div><button type="submit">Show</button></div></form>
${
  entries.length === 0
    ? html`<p role="status">No entries match.</p>`
    : html`<div class="table-wrap"><table><caption class="hint">${entries.length === LIMIT ? `The newest ${LIMIT}` : `${entries.length} entries`}, newest first</caption>
<thead><tr><th scope="col">Time</th><th scope="col">Kind</th><th scope="col">User</th><th scope="col">What</th><th scope="col">Operator</th><th scope="col">Reason</th><th scope="col">Details</th></tr></thead><tbody>${rows}</tbody></table></div>`
}`;
    return sendPage(reply, page({ title: 'Audit', operator: operatorOf(request, reply), ...takeFlash(request) }, content));
  });
}
