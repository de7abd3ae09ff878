import type { FastifyInstance } from 'fastify';
import { AdminError } from '../admin/admin-error.js';
import { OPERATOR_ROLES, type OperatorRole } from '../credentials/operator-records.js';
import { ConsoleRefusal } from './access.js';
import { actorOf, formOf } from './forms.js';
import { html } from '../web/html.js';
import { csrfField } from '../web/document.js';
import { page, reasonField } from './layout.js';
import type { ConsoleContext } from './server.js';
import { operatorOf, sendPage, takeFlash } from './user-pages.js';

/**
 * Operators, for admins (`radgate operator` in the browser): list, add, and the actions on
 * one. A password made here is shown once, like a code.
 */
export function operatorRoutes(app: FastifyInstance, context: ConsoleContext): void {
  const { operators } = context.backend;

  app.get('/operators', { config: { allow: 'admin' } }, async (request, reply) => {
    const operator = operatorOf(request, reply);
    const rows = (await operators.list()).map((view) => {
      const act = (action: string, label: string) =>
        html`<form method="post" action="/operators/${encodeURIComponent(view.name)}/${action}">${csrfField(operator.csrf)}<label for="${action}-${view.name}">Reason to ${label.toLowerCase()} ${view.name}</label><input id="${action}-${view.name}" name="reason" required maxlength="200" autocomplete="off"><button class="secondary" type="submit">${label}</button></form>`;
      return html`<tr><td>${view.name}</td><td>${view.role}</td><td>${view.signIn}</td><td>${view.totp}</td><td>${view.locked ? 'locked' : `${view.failures} failures`}</td>
<td>${view.locked ? act('unlock', 'Unlock') : ''}${view.signIn === 'password' && view.totp === 'enrolled' ? act('reset-totp', 'Reset TOTP') : ''}${view.name === operator.name ? '' : act('remove', 'Remove')}</td></tr>`;
    });
    const content = html`<div class="table-wrap"><table><thead><tr><th scope="col">Operator</th><th scope="col">Role</th><th scope="col">Sign-in</th><th scope="col">TOTP</th><th scope="col">State</th><th scope="col"><span class="skip">Actions</span></th></tr></thead><tbody>${rows}</tbody></table></div>
<h2>Add an operator</h2><form method="post" action="/operators">${csrfField(operator.csrf)}
<label for="op-name">Name</label><input id="op-name" name="name" required autocomplete="off" autocapitalize="none" spellcheck="false">
<label for="op-role">Role</label><select id="op-role" name="role">${OPERATOR_ROLES.map((role) => html`<option>${role}</option>`)}</select>
${reasonField('op-reason')}<button type="submit">Add (a password is shown once)</button></form>`;
    return sendPage(reply, page({ title: 'Operators', operator, ...takeFlash(request) }, content));
  });

  app.post('/operators', { config: { allow: 'admin' } }, async (request, reply) => {
    const form = formOf(request);
    const role = form.role as OperatorRole;
    if (!OPERATOR_ROLES.includes(role)) throw new ConsoleRefusal(400, 'Choose a role.');
    const actor = actorOf(request);
    try {
      const { password } = await operators.add(form.name ?? '', role, {}, actor);
      const content = html`<p>Operator <strong>${form.name ?? ''}</strong> (${role}) can sign in with this password, and will set up an authenticator at first sign-in.</p>
<ul class="codes" id="secret"><li class="code">${password ?? ''}</li></ul>
<p><button type="button" data-copy="secret">Copy</button> <span id="secret-status" role="status"></span></p>
<p class="notice">This is the only time it is shown: give it to them privately.</p><p><a href="/operators">Back to the operators</a></p>`;
      return sendPage(reply, page({ title: 'Operator added', operator: operatorOf(request, reply) }, content));
    } catch (error) {
      if (!(error instanceof AdminError)) throw error;
      request.session.flash = { problem: error.message };
      return reply.redirect('/operators', 303);
    }
  });

  const ACTIONS = {
    unlock: (name: string, actor: Parameters<typeof operators.unlock>[1]) => operators.unlock(name, actor),
    'reset-totp': (name: string, actor: Parameters<typeof operators.unlock>[1]) => operators.resetTotp(name, actor),
    remove: (name: string, actor: Parameters<typeof operators.unlock>[1]) => operators.remove(name, actor),
  } as const;

  app.post('/operators/:name/:action', { config: { allow: 'admin' } }, async (request, reply) => {
    const { name, action } = request.params as { name: string; action: string };
    const run = ACTIONS[action as keyof typeof ACTIONS];
    if (run === undefined) throw new ConsoleRefusal(404, 'There is no such action.');
    if (action === 'remove' && name === request.operator!.name) throw new ConsoleRefusal(400, 'You cannot remove yourself.');
    try {
      await run(name, actorOf(request));
      request.session.flash = { notice: `${action} ${name}: done.` };
    } catch (error) {
      if (!(error instanceof AdminError)) throw error;
      request.session.flash = { problem: error.message };
    }
    return reply.redirect('/operators', 303);
  });
}
