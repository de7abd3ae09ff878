import type { FastifyInstance, FastifyReply } from 'fastify';
import { csrfField } from '../../web/document.js';
import { html } from '../../web/html.js';
import { tokenQr } from '../../web/token-qr.js';
import { codeField, fieldOf, formOf, pinField, userField } from './fields.js';
import { sendPage } from './layout.js';
import { refusalAnswer } from './refusals.js';
import type { SelfServicePagesContext, SelfServiceRules } from './server.js';

const TITLE = 'Register a new token';

/**
 * Registering a new TOTP token with an authorization code and the PIN. The new secret is
 * the response to the form that made it, shown once: the page is not cached (no-store),
 * the secret is in no URL and no log line, and sending the form again (a reload) finds the
 * code used, so it shows nothing.
 */
export function registerTokenRoutes(app: FastifyInstance, context: SelfServicePagesContext): void {
  const form = (reply: FastifyReply, pin: SelfServiceRules['pin'], status: number, user = '', problem?: string): FastifyReply =>
    sendPage(
      reply,
      status,
      { title: TITLE, problem },
      html`<p>For a new phone or a lost token. You need an authorization code (<a href="/code">request one by SMS</a>) and your PIN. Your old token stops working.</p>
<form method="post" action="/token">${csrfField(reply.generateCsrf())}
${userField(user)}
${codeField}
${pinField('pin', 'PIN', 'current-password', pin, false)}
<div><button type="submit">Register a new token</button></div>
</form>`,
    );

  app.get('/token', async (_request, reply) => form(reply, context.rules.current.pin, 200));

  app.post('/token', { onRequest: context.sourceLimit }, async (request, reply) => {
    // The rules in force when the request arrived, for the whole of it (a reload may come between).
    const { service, pin } = context.rules.current;
    const typed = formOf(request);
    const user = fieldOf(typed, 'user');
    const result = await service.registerToken(user, fieldOf(typed, 'code'), fieldOf(typed, 'pin'), { source: context.sourceOf(request) });
    if (!result.ok) {
      const { status, problem } = refusalAnswer(result, 'the user name, the code and your PIN');
      return form(reply, pin, status, user, problem);
    }
    const content = html`<p>Scan this QR code with an authenticator app (FreeOTP, Google Authenticator, Microsoft Authenticator…). Your old token no longer works.</p>
${await tokenQr(result.uri, 'QR code of your new token')}
<p class="hint">Or enter this address in an app that takes one:</p>
<p class="uri" id="token-uri">${result.uri}</p>
<p class="notice">This is the only time it is shown: leaving or reloading this page forgets it. Token ${result.serial}.</p>
<p>Then log in with your PIN followed by the code the app shows.</p>`;
    return sendPage(reply, 200, { title: 'Your new token' }, content);
  });
}
