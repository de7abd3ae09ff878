import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { attemptOutcome, attemptSource } from '../admin/attempt-text.js';
import type { AttemptView } from '../admin/audit-reader.js';
import type { ChallengeAccessView, CodeView, UserView } from '../admin/views.js';
import { groupCode } from '../credentials/codes/alphabet.js';
import { formatInZone } from '../credentials/time-zone.js';
import { allows } from './access.js';
import { html, type Html } from '../web/html.js';
import { csrfField } from '../web/document.js';
import { page, reasonField } from './layout.js';
import { oneTimeToken, userNamed, userPath } from './forms.js';
import type { ConsoleContext, ConsoleRules } from './server.js';

/** Search results shown at most: a prefix that matches more should be typed longer. */
const SEARCH_LIMIT = 50;

export const KIND_LABELS: Readonly<Record<CodeView['kind'], string>> = {
  'emergency-tokencode': 'Emergency tokencode (PIN + code)',
  'emergency-passcode': 'Emergency passcode (code alone)',
  'online-authcode': 'Online authorization code (PIN + code)',
};

/** The page's flash (the last action's outcome), shown once. */
export function takeFlash(request: FastifyRequest): { notice?: string; problem?: string } {
  const flash = request.session.flash ?? {};
  if (request.session.flash !== undefined) request.session.flash = undefined;
  return flash;
}

export function sendPage(reply: FastifyReply, text: string, status = 200): FastifyReply {
  return reply.status(status).type('text/html; charset=utf-8').send(text);
}

export function operatorOf(request: FastifyRequest, reply: FastifyReply): { name: string; role: NonNullable<FastifyRequest['operator']>['role']; csrf: string } {
  return { name: request.operator!.name, role: request.operator!.role, csrf: reply.generateCsrf() };
}

/** Finding a user and reading their state; the forms on the user page post to user-actions.ts. */
export function userRoutes(app: FastifyInstance, context: ConsoleContext): void {
  const { audit } = context.backend;
  const whenIn = (timeZone: string) => (iso: string | null | undefined): string => (iso === null || iso === undefined ? '-' : formatInZone(Date.parse(iso), timeZone));

  app.get('/users', { config: { allow: 'read' } }, async (request, reply) => {
    const { service, config } = context.rules.current;
    const typed = ((request.query as Record<string, string | undefined>).q ?? '').trim();
    const prefix = typed === '' ? '' : userNamed(typed, config.policy);
    const found = typed === '' ? [] : await service.findUsers(prefix, SEARCH_LIMIT);
    const operator = operatorOf(request, reply);
    const results =
      typed === ''
        ? ''
        : found.length === 0
          ? html`<p role="status">No user name starts with “${prefix}”.</p>`
          : html`<div class="table-wrap"><table><caption class="hint">${found.length === SEARCH_LIMIT ? `The first ${SEARCH_LIMIT} matches; type more of the name.` : `${found.length} found`}</caption>
<thead><tr><th scope="col">User</th><th scope="col">State</th><th scope="col">Token</th><th scope="col">Active codes</th></tr></thead>
<tbody>${found.map((user) => html`<tr><td><a href="${userPath(user.name)}">${user.name}</a></td><td>${stateBadge(user)}</td><td>${user.token === undefined ? 'none' : `${user.token.serial} (${user.token.state})`}</td><td>${user.activeCodes}</td></tr>`)}</tbody></table></div>`;
    const addUser = allows(operator.role, 'admin')
      ? html`<h2>Add a user</h2><form method="post" action="/users">${csrfField(operator.csrf)}
<label for="new-user">User name</label><input id="new-user" name="user" required autocomplete="off" autocapitalize="none" spellcheck="false">
<label for="new-pin">PIN (optional)</label><input id="new-pin" name="pin" type="password" inputmode="numeric" autocomplete="new-password">
${reasonField('add-reason')}<button type="submit">Add user</button></form>`
      : '';
    const content = html`<form method="get" action="/users" role="search">
<label for="q">User name or its beginning</label><input id="q" name="q" value="${typed}" autocomplete="off" autocapitalize="none" spellcheck="false" autofocus>
<button type="submit">Find</button></form>${results}${addUser}`;
    return sendPage(reply, page({ title: 'Find a user', operator, ...takeFlash(request) }, content));
  });

  app.get('/users/:name', { config: { allow: 'read' } }, async (request, reply) => {
    const { service, config } = context.rules.current;
    const when = whenIn(config.timeZone);
    const typed = (request.params as { name: string }).name;
    const name = userNamed(typed, config.policy);
    if (name !== typed) return reply.redirect(userPath(name), 303);
    const [user, listing, attempts] = await Promise.all([service.showUser(name), service.codeListing(name), audit.attempts(name)]);
    const operator = operatorOf(request, reply);
    const content = html`${facts(user, when)}
${codesSection(user, listing.codes, operator.role, operator.csrf, when)}
${challengeSection(listing.challenge, when)}
${attemptsSection(attempts, when)}
${allows(operator.role, 'helpdesk') ? actionsSection(user, operator, request, config) : html`<p class="hint">Your role reads only.</p>`}`;
    return sendPage(reply, page({ title: `User ${name}`, operator, ...takeFlash(request) }, content));
  });
}

function stateBadge(user: UserView): Html {
  if (user.locked) return html`<span class="badge bad">locked</span>`;
  if (user.status === 'disabled') return html`<span class="badge bad">disabled</span>`;
  return html`<span class="badge good">active</span>`;
}

function facts(user: UserView, when: (iso: string | null | undefined) => string): Html {
  const token = user.token;
  return html`<dl class="facts">
<dt>State</dt><dd>${stateBadge(user)} ${user.locked ? (user.lockedUntil === 'until-unlocked' ? 'until unlocked' : `until ${when(user.lockedUntil)}`) : ''}</dd>
<dt>Failures in a row</dt><dd>${user.failures}</dd>
<dt>PIN</dt><dd>${user.pinSet ? 'set' : 'not set'}</dd>
<dt>Token</dt><dd>${token === undefined ? 'none' : `${token.type.toUpperCase()} ${token.serial}, ${token.digits} digits, ${token.state}${token.expiresAt === undefined ? '' : `, expires ${when(token.expiresAt)}`}`}</dd>
<dt>Challenge access</dt><dd>${user.challenge}</dd>
<dt>Created</dt><dd>${when(user.createdAt)}</dd>
</dl>`;
}

function codesSection(user: UserView, codes: readonly CodeView[], role: string, csrf: string, when: (iso: string | null | undefined) => string): Html {
  const mayRevoke = role === 'helpdesk' || role === 'admin';
  const rows = codes.map(
    (code) => html`<tr><td>${code.id}</td><td>${code.kind}</td><td>${code.state}${code.temporaryAccess === undefined ? '' : html`<br><span class="hint">PIN-only access ${code.temporaryAccess.state} until ${when(code.temporaryAccess.endsAt)} (id ${code.temporaryAccess.id})</span>`}</td>
<td>${when(code.issuedAt)}</td><td>${when(code.expiresAt)}</td><td>${code.uses}/${code.maxUses ?? '∞'}</td><td>${when(code.lastUsedAt)}</td><td>${code.issuedBy}</td><td>${code.reason}</td>
<td>${
      mayRevoke && code.state === 'active'
        ? html`<form method="post" action="${userPath(user.name, 'revoke')}">${csrfField(csrf)}<input type="hidden" name="selector" value="id:${code.id}">
<label for="reason-${code.id}">Reason</label><input id="reason-${code.id}" name="reason" required maxlength="200" autocomplete="off"><button class="danger" type="submit">Revoke ${code.id}</button></form>`
        : ''
    }</td></tr>`,
  );
  return html`<h2>Codes</h2>${
    codes.length === 0
      ? html`<p>No codes issued.</p>`
      : html`<div class="table-wrap"><table><thead><tr><th scope="col">Id</th><th scope="col">Kind</th><th scope="col">State</th><th scope="col">Issued</th><th scope="col">Expires</th><th scope="col">Uses</th><th scope="col">Last used</th><th scope="col">By</th><th scope="col">Reason</th><th scope="col"><span class="skip">Action</span></th></tr></thead><tbody>${rows}</tbody></table></div>`
  }<p class="hint">Codes are shown once, when issued; never here.</p>`;
}

function challengeSection(challenge: ChallengeAccessView, when: (iso: string | null | undefined) => string): Html {
  if (challenge.pendingRequests.length === 0 && challenge.temporaryAccess === undefined) return html``;
  return html`<h2>Challenge</h2><ul>${challenge.pendingRequests.map((pending) => html`<li>Pending request code ${groupCode(pending.requestCode)} until ${when(pending.expiresAt)}</li>`)}${
    challenge.temporaryAccess === undefined ? '' : html`<li>PIN-only access ${challenge.temporaryAccess.state} until ${when(challenge.temporaryAccess.endsAt)} (id ${challenge.temporaryAccess.id})</li>`
  }</ul>`;
}

function attemptsSection(attempts: readonly AttemptView[], when: (iso: string | null | undefined) => string): Html {
  return html`<h2>Last login attempts</h2>${
    attempts.length === 0
      ? html`<p>None recorded.</p>`
      : html`<div class="table-wrap"><table id="attempts"><thead><tr><th scope="col">Time</th><th scope="col">Outcome</th><th scope="col">Client</th><th scope="col">NAS</th><th scope="col">NAS-Id</th><th scope="col">Calling station</th><th scope="col">Port</th></tr></thead>
<tbody>${attempts.map((attempt) => html`<tr><td>${when(attempt.at)}</td><td>${attemptOutcome(attempt)}</td>${attemptSource(attempt).map((cell) => html`<td>${cell}</td>`)}</tr>`)}</tbody></table></div>`
  }`;
}

function actionsSection(user: UserView, operator: { role: string; csrf: string }, request: FastifyRequest, config: ConsoleRules['config']): Html {
  const { csrf } = operator;
  const form = (action: string, legend: string, body: Html, button: string, danger = false): Html =>
    html`<form method="post" action="${userPath(user.name, action)}"><fieldset><legend>${legend}</legend>${csrfField(csrf)}${body}${reasonField(`${action.replace('/', '-')}-reason`)}<button type="submit"${danger ? html` class="danger"` : ''}>${button}</button></fieldset></form>`;
  const { challenge, codes } = config;
  const helpdesk = html`
${form(
  'issue',
  'Issue a code',
  html`<input type="hidden" name="once" value="${oneTimeToken(request)}">
<label for="kind">Kind</label><select id="kind" name="kind">${Object.entries(KIND_LABELS).map(([kind, label]) => html`<option value="${kind}">${label}</option>`)}</select>
<label for="lifetime">Lifetime</label><input id="lifetime" name="lifetime" autocomplete="off" placeholder="${codes.emergencyTokencode.lifetime}" aria-describedby="lifetime-hint"><p class="hint" id="lifetime-hint">12h, 3d, 1month; empty: the kind's default. Authorization codes: 1 to 31 days or 1month.</p>
<label for="count">How many (a set of one-time codes when more than 1)</label><input id="count" name="count" type="number" min="1" max="100" value="1">`,
  'Issue',
)}
${form('revoke', 'Revoke codes', html`<label for="selector">Which</label><select id="selector" name="selector"><option value="last">The last issued</option><option value="all">All, with pending request codes</option></select>`, 'Revoke', true)}
${form('unlock', 'Unlock', html`<p class="hint">Ends a lockout and resets the failure count.</p>`, 'Unlock')}
${
  challenge.enabled
    ? form(
        'respond',
        'Answer a challenge request code',
        html`<input type="hidden" name="once" value="${oneTimeToken(request)}">
<label for="request-code">Request code the user reads out</label><input id="request-code" name="request_code" required autocomplete="off" autocapitalize="characters" spellcheck="false" placeholder="7KAC-3EWX">
<label for="validity">Access for</label><select id="validity" name="validity">${challenge.validities.map((validity) => html`<option>${validity}</option>`)}</select>`,
        'Get the authorization code',
      )
    : ''
}`;
  const token = user.token;
  const admin = allows(operator.role as 'admin', 'admin')
    ? html`
${token !== undefined && token.state !== 'lost' ? form('token/lost', 'Token lost', html`<p class="hint">Its tokencodes are refused and alerted; issue emergency codes instead.</p>`, 'Mark the token lost', true) : ''}
${token?.state === 'lost' ? form('token/found', 'Token found', html``, 'Mark the token found') : ''}
${form(
  'token/assign',
  token === undefined ? 'Assign a token' : 'Replace the token',
  html`<input type="hidden" name="once" value="${oneTimeToken(request)}">${token === undefined ? '' : html`<input type="hidden" name="replace" value="yes"><p class="hint">Token ${token.serial} stops working at once.</p>`}`,
  token === undefined ? 'Assign a TOTP token' : 'Replace with a new TOTP token',
  token !== undefined,
)}
${user.status === 'active' ? form('disable', 'Disable the user', html``, 'Disable', true) : form('enable', 'Enable the user', html``, 'Enable')}
${form('pin', user.pinSet ? 'Replace the PIN' : 'Set a PIN', html`<label for="new-pin">New PIN</label><input id="new-pin" name="pin" type="password" inputmode="numeric" required autocomplete="new-password">`, 'Set the PIN')}
${form('challenge', 'Challenge access', html`<p class="hint">Now ${user.challenge}. Off also ends temporary access.</p><input type="hidden" name="challenge" value="${user.challenge === 'on' ? 'off' : 'on'}">`, user.challenge === 'on' ? 'Turn challenge access off' : 'Turn challenge access on')}
${form('delete', 'Delete the user', html`<label for="confirm-name">Type the user name to confirm</label><input id="confirm-name" name="confirm" required autocomplete="off" autocapitalize="none" spellcheck="false">`, 'Delete with token and codes', true)}`
    : '';
  return html`<h2>Actions</h2><div class="actions">${helpdesk}${admin}</div>`;
}
