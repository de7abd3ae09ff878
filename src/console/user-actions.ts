import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Actor } from '../admin/admin-audit.js';
import { AdminError } from '../admin/admin-error.js';
import type { IssueRequest } from '../admin/code-issuing.js';
import type { CredentialService, RevokeRequest } from '../admin/credential-service.js';
import type { IssuedCode } from '../admin/views.js';
import { groupCode } from '../credentials/codes/alphabet.js';
import type { CodeKind } from '../credentials/records.js';
import { formatInZone } from '../credentials/time-zone.js';
import type { Permission } from './access.js';
import { ConsoleRefusal } from './access.js';
import { actorOf, formOf, spendOneTimeToken, userNamed, userPath, type Form } from './forms.js';
import { html, type Html } from '../web/html.js';
import { tokenQr } from '../web/token-qr.js';
import { page } from './layout.js';
import type { ConsoleContext, ConsoleRules } from './server.js';
import { KIND_LABELS, operatorOf, sendPage } from './user-pages.js';

/** An action's outcome: a line shown on the user's page, or a page of its own (a secret shown once). */
type Outcome = string | { readonly title: string; readonly content: Html };

const HOW_TO_TYPE: Readonly<Record<CodeKind, string>> = {
  'emergency-tokencode': 'The user types their PIN, then this code, in place of the tokencode.',
  'emergency-passcode': 'The user types this code alone, in place of PIN and tokencode.',
  'online-authcode': 'The user types their PIN, then this code, in place of the tokencode.',
};

const CODE_KINDS = Object.keys(KIND_LABELS) as CodeKind[];

/** A secret shown once, large and grouped, with copy and print buttons; the page is never cached and its form cannot be resent. */
function shownOnce(user: string, lines: readonly string[], about: Html): Html {
  return html`<div class="slip" id="slip">
<p><strong>${user}</strong></p>
<ul class="codes" id="secret">${lines.map((line) => html`<li class="code">${line}</li>`)}</ul>
${about}
</div>
<p class="no-print"><button type="button" data-copy="secret">Copy</button> <button type="button" class="secondary" data-print>Print a slip</button> <span id="secret-status" role="status"></span></p>
<p class="notice no-print">This is the only time it is shown: leaving this page forgets it.</p>
<p class="no-print"><a href="${userPath(user)}">Back to ${user}</a></p>`;
}

function issueRequestOf(form: Form): IssueRequest {
  const kind = form.kind as CodeKind;
  if (!CODE_KINDS.includes(kind)) throw new ConsoleRefusal(400, 'Choose the kind of code to issue.');
  const count = form.count === undefined || form.count === '' ? undefined : Number(form.count);
  const lifetime = form.lifetime?.trim();
  return { kind, ...(lifetime === undefined || lifetime === '' ? {} : { lifetime }), ...(count === undefined ? {} : { count }) };
}

function revokeRequestOf(selector: string | undefined): RevokeRequest {
  if (selector === 'last') return { last: undefined };
  if (selector === 'all') return 'all';
  const id = /^id:([0-9a-f]{10})$/.exec(selector ?? '')?.[1];
  if (id === undefined) throw new ConsoleRefusal(400, 'Choose which codes to revoke.');
  return { id };
}

/**
 * The forms of the user page, each a POST that calls the credential service, the CLI's
 * own, with the signed-in operator and the reason typed as the audit's actor. Access
 * (console/access.ts) has checked the role before a handler runs. An outcome is shown on
 * the user's page after a redirect (so a reload repeats nothing), except a secret, which
 * is the response itself and nowhere else.
 */
/** One action's call: who asked for what, and the credential service and time zone in force when the request arrived. */
interface ActionCall {
  readonly user: string;
  readonly actor: Actor;
  readonly form: Form;
  readonly request: FastifyRequest;
  readonly service: CredentialService;
  readonly timeZone: string;
}

export function userActionRoutes(app: FastifyInstance, context: ConsoleContext): void {
  const action = (path: string, allow: Permission, run: (call: ActionCall) => Promise<Outcome>): void => {
    app.post(`/users/:name/${path}`, { config: { allow } }, async (request: FastifyRequest, reply: FastifyReply) => {
      // The rules in force when the request arrived, for the whole of it (a reload may come between).
      const rules = context.rules.current;
      const user = userNamed((request.params as { name: string }).name, rules.config.policy);
      const actor = actorOf(request);
      let outcome: Outcome;
      try {
        outcome = await run({ user, actor, form: formOf(request), request, service: rules.service, timeZone: rules.config.timeZone });
      } catch (error) {
        if (!(error instanceof AdminError)) throw error;
        request.session.flash = { problem: error.message };
        return reply.redirect(userPath(user), 303);
      }
      if (typeof outcome !== 'string') return sendPage(reply, page({ title: outcome.title, operator: operatorOf(request, reply) }, outcome.content));
      request.session.flash = { notice: outcome };
      return reply.redirect(userPath(user), 303);
    });
  };

  action('issue', 'helpdesk', async ({ user, actor, form, request, service, timeZone }) => {
    const issueRequest = issueRequestOf(form);
    spendOneTimeToken(request);
    const codes: IssuedCode[] = await service.issueCodes(user, issueRequest, actor);
    const first = codes[0]!;
    const uses = first.maxUses === null ? 'any number of uses until then' : `${first.maxUses} use${first.maxUses === 1 ? '' : 's'} per code`;
    return {
      title: codes.length === 1 ? 'Code issued' : `${codes.length} codes issued`,
      content: shownOnce(
        user,
        codes.map((code) => groupCode(code.code)),
        html`<p>${KIND_LABELS[first.kind]}. ${HOW_TO_TYPE[first.kind]} Hyphens and case do not matter.</p><p>Expires ${formatInZone(Date.parse(first.expiresAt), timeZone)}; ${uses}. Id${codes.length === 1 ? '' : 's'} ${codes.map((code) => code.id).join(', ')}.</p>`,
      ),
    };
  });

  action('revoke', 'helpdesk', async ({ user, actor, form, service }) => {
    const revoked = await service.revokeCodes(user, revokeRequestOf(form.selector), actor);
    const parts = [
      revoked.codes.length === 0 ? '' : `revoked ${revoked.codes.length} code${revoked.codes.length === 1 ? '' : 's'} (${revoked.codes.map((code) => code.id).join(', ')})`,
      revoked.temporaryAccess.length === 0 ? '' : `ended PIN-only access ${revoked.temporaryAccess.map((access) => access.id).join(', ')}`,
      revoked.requestCodes.length === 0 ? '' : `cancelled request code${revoked.requestCodes.length === 1 ? '' : 's'} ${revoked.requestCodes.map(groupCode).join(', ')}`,
    ].filter(Boolean);
    return parts.length === 0 ? 'Nothing to revoke: no active code matched.' : `${parts.join('; ')}.`.replace(/^./, (letter) => letter.toUpperCase());
  });

  action('unlock', 'helpdesk', async ({ user, actor, service }) => {
    await service.unlockUser(user, actor);
    return `${user} unlocked.`;
  });

  action('respond', 'helpdesk', async ({ user, actor, form, request, service }) => {
    spendOneTimeToken(request);
    const answer = await service.respondToRequestCode(user, { requestCode: form.request_code ?? '', validity: form.validity ?? '' }, actor);
    return {
      title: 'Authorization code',
      content: shownOnce(user, [groupCode(answer.code)], html`<p>Answers request code ${groupCode(answer.requestCode)}; access for ${answer.validity}. The user types it at the prompt, or after their PIN if the prompt timed out.</p>`),
    };
  });

  action('token/lost', 'admin', async ({ user, actor, service }) => {
    await service.markTokenLost(user, actor);
    return `${user}'s token is marked lost: its tokencodes are refused and alerted.`;
  });

  action('token/found', 'admin', async ({ user, actor, service }) => {
    const { revoked } = await service.markTokenFound(user, actor);
    return `${user}'s token is marked found${revoked.length === 0 ? '' : `; its emergency codes were revoked (${revoked.join(', ')})`}.`;
  });

  action('token/assign', 'admin', async ({ user, actor, form, request, service }) => {
    spendOneTimeToken(request);
    const assigned = await service.assignToken(user, { replace: form.replace === 'yes' }, actor);
    return {
      title: 'Token assigned',
      content: html`<p>TOTP token ${assigned.serial}${assigned.replaced === undefined ? '' : `, replacing ${assigned.replaced}`}. The user scans this with an authenticator app.</p>
${await tokenQr(assigned.uri, "QR code of the token's secret")}
<p class="notice">This is the only time it is shown: leaving this page forgets it.</p>
<p><a href="${userPath(user)}">Back to ${user}</a></p>`,
    };
  });

  action('disable', 'admin', async ({ user, actor, service }) => {
    await service.disableUser(user, actor);
    return `${user} disabled: every login is refused until enabled.`;
  });

  action('enable', 'admin', async ({ user, actor, service }) => {
    await service.enableUser(user, actor);
    return `${user} enabled.`;
  });

  action('pin', 'admin', async ({ user, actor, form, service }) => {
    await service.setPin(user, form.pin ?? '', actor);
    return `PIN set for ${user}.`;
  });

  action('challenge', 'admin', async ({ user, actor, form, service }) => {
    if (form.challenge !== 'on' && form.challenge !== 'off') throw new ConsoleRefusal(400, 'Choose on or off.');
    await service.setChallenge(user, form.challenge === 'on', actor);
    return `Challenge access ${form.challenge} for ${user}.`;
  });

  // A typo must not delete a user and their codes: the name is typed again, as `user delete` asks on a terminal.
  app.post('/users/:name/delete', { config: { allow: 'admin' } }, async (request, reply) => {
    const { service, config } = context.rules.current;
    const user = userNamed((request.params as { name: string }).name, config.policy);
    const actor = actorOf(request);
    if ((formOf(request).confirm ?? '').trim() !== user) {
      request.session.flash = { problem: `Not deleted: type ${user} to confirm.` };
      return reply.redirect(userPath(user), 303);
    }
    await service.deleteUser(user, actor);
    request.session.flash = { notice: `Deleted ${user}, with their token and codes.` };
    return reply.redirect('/users', 303);
  });

  app.post('/users', { config: { allow: 'admin' } }, async (request, reply) => {
    const { service, config } = context.rules.current;
    const form = formOf(request);
    const user = userNamed(form.user ?? '', config.policy);
    const actor = actorOf(request);
    const pin = form.pin === undefined || form.pin === '' ? undefined : form.pin;
    try {
      await service.addUser(user, pin, actor);
    } catch (error) {
      if (!(error instanceof AdminError)) throw error;
      request.session.flash = { problem: error.message };
      return reply.redirect('/users', 303);
    }
    request.session.flash = { notice: `Added ${user}${pin === undefined ? ' (no PIN yet)' : ''}.` };
    return reply.redirect(userPath(user), 303);
  });
}
