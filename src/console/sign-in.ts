import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SignInCheck, SignInLimits } from '../admin/operators.js';
import { html } from '../web/html.js';
import { tokenQr } from '../web/token-qr.js';
import { csrfField } from '../web/document.js';
import { page } from './layout.js';
import type { ConsoleContext } from './server.js';

/** A sign-in past its password must give its TOTP code within this time. */
const PENDING_MS = 5 * 60_000;

type Form = Record<string, string | undefined>;

const WRONG = 'Wrong name, password or code.';
const LOCKED = 'This operator account is locked after too many failed sign-ins. Ask an admin (radgate operator unlock), or wait.';

function signInPage(reply: FastifyReply, status: number, title: string, csrf: string, body: ReturnType<typeof html>, problem?: string): FastifyReply {
  return reply.status(status).type('text/html; charset=utf-8').send(page({ title, ...(problem === undefined ? {} : { problem }) }, html`<form method="post">${csrfField(csrf)}${body}</form>`));
}

const passwordForm = html`
<label for="name">Operator name</label><input id="name" name="name" required autocomplete="username" autocapitalize="none" spellcheck="false">
<label for="password">Password</label><input id="password" name="password" type="password" required autocomplete="current-password">
<button type="submit">Continue</button>`;

const codeForm = (label: string) => html`
<label for="code">${label}</label><input id="code" name="code" required inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]{6,7}" maxlength="7">
<button type="submit">Sign in</button>`;

/**
 * Signing in: the password (scrypt), then a TOTP code, or at the first sign-in the
 * enrolment of an authenticator app by QR code. Each step is rate-limited per source
 * address (@fastify/rate-limit) and its failures count towards the operator's lock
 * (OperatorService). The session id is renewed at each step up, so one fixed before
 * sign-in is worth nothing after.
 */
export function signInRoutes(app: FastifyInstance, context: ConsoleContext): void {
  const { operators } = context.backend;
  const limits: SignInLimits = { maxFailures: context.console.loginMaxFailures, lockoutMs: context.console.loginLockoutSeconds * 1000 };
  const rateLimit = { max: context.console.loginAttemptsPerSourcePerMinute, timeWindow: 60_000 };
  const source = (request: FastifyRequest): string => request.socket.remoteAddress ?? 'unknown';

  const pendingOf = (request: FastifyRequest): string | undefined => {
    const pending = request.session.pending;
    return pending !== undefined && context.clock() - pending.at < PENDING_MS ? pending.operator : undefined;
  };

  const signedIn = async (request: FastifyRequest, reply: FastifyReply, name: string): Promise<FastifyReply> => {
    // Read again: an enrolment has just made the pending TOTP secret the operator's own.
    const record = await operators.find(name);
    if (record === undefined) return reply.redirect('/login', 303);
    await request.session.regenerate();
    const now = context.clock();
    request.session.operator = name;
    request.session.credentials = operators.credentialStamp(record);
    request.session.signedInAt = now;
    request.session.lastSeenAt = now;
    return reply.redirect('/users', 303);
  };

  const refused = (reply: FastifyReply, check: SignInCheck & { ok: false }, title: string, csrf: string, form: ReturnType<typeof html>): FastifyReply =>
    signInPage(reply, 401, title, csrf, form, check.why === 'locked' ? LOCKED : WRONG);

  app.get('/login', async (request, reply) => {
    if (request.session.operator !== undefined) return reply.redirect('/users', 303);
    return signInPage(reply, 200, 'Sign in', reply.generateCsrf(), passwordForm);
  });

  app.post('/login', { config: { rateLimit } }, async (request, reply) => {
    const form = (request.body ?? {}) as Form;
    const check = await operators.checkPassword(form.name ?? '', form.password ?? '', limits, source(request));
    if (!check.ok) return refused(reply, check, 'Sign in', reply.generateCsrf(), passwordForm);
    await request.session.regenerate();
    request.session.pending = { operator: check.operator.name, at: context.clock() };
    return reply.redirect(check.operator.totpSecret === undefined ? '/login/enrol' : '/login/code', 303);
  });

  app.get('/login/code', async (request, reply) => {
    if (pendingOf(request) === undefined) return reply.redirect('/login', 303);
    return signInPage(reply, 200, 'Authenticator code', reply.generateCsrf(), codeForm('The 6-digit code your authenticator app shows'));
  });

  app.post('/login/code', { config: { rateLimit } }, async (request, reply) => {
    const name = pendingOf(request);
    if (name === undefined) return reply.redirect('/login', 303);
    const check = await operators.checkTotp(name, ((request.body ?? {}) as Form).code ?? '', limits, source(request));
    if (!check.ok) return refused(reply, check, 'Authenticator code', reply.generateCsrf(), codeForm('The 6-digit code your authenticator app shows'));
    return signedIn(request, reply, name);
  });

  // First sign-in: a new secret, shown once as a QR code and as text, confirmed with a code from it.
  app.get('/login/enrol', async (request, reply) => {
    const name = pendingOf(request);
    if (name === undefined) return reply.redirect('/login', 303);
    const uri = await operators.startEnrolment(name);
    const body = html`
<p>Your account needs a second factor. Scan this QR code with an authenticator app (FreeOTP, Google Authenticator, Microsoft Authenticator…), then type the code it shows.</p>
${await tokenQr(uri, 'QR code of your authenticator secret')}
${codeForm('The 6-digit code the app now shows')}`;
    return signInPage(reply, 200, 'Set up your authenticator', reply.generateCsrf(), body);
  });

  app.post('/login/enrol', { config: { rateLimit } }, async (request, reply) => {
    const name = pendingOf(request);
    if (name === undefined) return reply.redirect('/login', 303);
    const check = await operators.completeEnrolment(name, ((request.body ?? {}) as Form).code ?? '', limits, source(request));
    // A wrong code: back to a fresh secret, so a QR code seen over a shoulder is not the one kept.
    if (!check.ok) return refused(reply, check, 'Set up your authenticator', reply.generateCsrf(), html`<p>That code did not match. <a href="/login/enrol">Scan a new QR code</a>.</p>`);
    return signedIn(request, reply, name);
  });

  app.post('/logout', async (request, reply) => {
    const name = request.session.operator;
    await request.session.destroy();
    // The id is refused from now on (RedisSessionStore); the browser forgets it too.
    void reply.clearCookie('__Host-radgate-console', { path: '/', secure: true, httpOnly: true, sameSite: 'strict' });
    if (name !== undefined) context.logger.info({ operator: name }, 'console: signed out');
    return reply.redirect('/login', 303);
  });
}
