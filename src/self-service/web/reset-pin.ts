import type { FastifyInstance, FastifyReply } from 'fastify';
import { csrfField } from '../../web/document.js';
import { html } from '../../web/html.js';
import { codeField, fieldOf, formOf, pinField, userField } from './fields.js';
import { nextSteps, sendPage } from './layout.js';
import { refusalAnswer } from './refusals.js';
import type { SelfServicePagesContext, SelfServiceRules } from './server.js';

const TITLE = 'Reset your PIN';

/** Setting a new PIN with an authorization code: the code is consumed behind the interface, whatever happens here. */
export function resetPinRoutes(app: FastifyInstance, context: SelfServicePagesContext): void {
  const form = (reply: FastifyReply, pin: SelfServiceRules['pin'], status: number, user = '', problem?: string): FastifyReply =>
    sendPage(
      reply,
      status,
      { title: TITLE, problem },
      html`<p>You need an authorization code: <a href="/code">request one by SMS</a> if you have none.</p>
<form method="post" action="/pin">${csrfField(reply.generateCsrf())}
${userField(user)}
${codeField}
${pinField('pin', 'New PIN', 'new-password', pin)}
${pinField('pin_again', 'New PIN again', 'new-password', pin, false)}
<div><button type="submit">Set the new PIN</button></div>
</form>`,
    );

  app.get('/pin', async (_request, reply) => form(reply, context.rules.current.pin, 200));

  app.post('/pin', { onRequest: context.sourceLimit }, async (request, reply) => {
    // The rules in force when the request arrived, for the whole of it (a reload may come between).
    const { service, pin } = context.rules.current;
    const typed = formOf(request);
    const user = fieldOf(typed, 'user');
    const result = await service.resetPin(user, fieldOf(typed, 'code'), fieldOf(typed, 'pin'), fieldOf(typed, 'pin_again'), { source: context.sourceOf(request) });
    if (!result.ok) {
      const { status, problem } = refusalAnswer(result, 'the user name and the code');
      return form(reply, pin, status, user, problem);
    }
    return sendPage(reply, 200, { title: 'PIN changed', notice: 'Your PIN is changed. Log in with the new PIN followed by your tokencode.' }, html`<h2>Next</h2>${nextSteps}`);
  });
}
