import type { FastifyInstance } from 'fastify';
import { lifetimeInWords, parseLifetime } from '../../credentials/codes/validity.js';
import { csrfField } from '../../web/document.js';
import { html } from '../../web/html.js';
import type { CodeRequestAnswer } from '../self-service.js';
import { fieldOf, formOf, userField } from './fields.js';
import { nextSteps, sendPage } from './layout.js';
import type { SelfServicePagesContext } from './server.js';

const TITLE = 'Request a code by SMS';

/**
 * The page for each answer. `sent` is one page whoever the name belongs to (it names no
 * user and no number), so it tells nobody whether a user exists or has a mobile number.
 */
function answerPage(answer: CodeRequestAnswer, lifetime: string): { status: number; notice?: string; problem?: string } {
  switch (answer) {
    case 'sent':
      return { status: 200, notice: `If this user name has a mobile number on record, a code is on its way by SMS. It works once, for ${lifetime}.` };
    case 'could-not-send':
      return { status: 503, problem: 'We could not send a code just now. Try again later, or call the helpdesk.' };
    case 'rate-limited':
      return { status: 429, problem: 'Too many codes were asked for this user name. Wait an hour and try again, or call the helpdesk.' };
  }
}

/** Asking for an authorization code by SMS, to the number on record: the page never shows or takes a number. */
export function requestCodeRoutes(app: FastifyInstance, context: SelfServicePagesContext): void {
  app.get('/code', async (_request, reply) => {
    const form = html`<p>We send a one-time authorization code to the mobile number on record for your user name. With it you can reset your PIN or register a new token.</p>
<form method="post" action="/code">${csrfField(reply.generateCsrf())}
${userField()}
<div><button type="submit">Send me a code</button></div>
</form>`;
    return sendPage(reply, 200, { title: TITLE }, form);
  });

  app.post('/code', { onRequest: context.sourceLimit }, async (request, reply) => {
    const user = fieldOf(formOf(request), 'user');
    if (user.trim() === '') return sendPage(reply, 400, { title: TITLE, problem: 'Type your user name.' }, html`<p><a href="/code">Back</a></p>`);
    // The rules in force when the request arrived, for the whole of it (a reload may come between).
    const { service, codeLifetime } = context.rules.current;
    const answer = await service.requestCode(user, { source: context.sourceOf(request) });
    const { status, ...message } = answerPage(answer, lifetimeInWords(parseLifetime(codeLifetime)));
    return sendPage(reply, status, { title: TITLE, ...message }, html`<h2>Next</h2>${nextSteps}`);
  });
}
