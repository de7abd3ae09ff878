import { randomBytes } from 'node:crypto';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createSecureContext } from 'node:tls';
import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyFormbody from '@fastify/formbody';
import fastifyHelmet from '@fastify/helmet';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifySession from '@fastify/session';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { AdminError } from '../admin/admin-error.js';
import type { AuditReader } from '../admin/audit-reader.js';
import type { CredentialService } from '../admin/credential-service.js';
import type { OperatorService } from '../admin/operators.js';
import type { ConsoleConfig, RadgateConfig } from '../config/types.js';
import type { Clock } from '../credentials/clock.js';
import { RadgateError } from '../errors.js';
import type { OperatorRepository } from '../store/operator-repository.js';
import { Access, ConsoleRefusal } from './access.js';
import { SCRIPT, STYLESHEET } from './assets.js';
import { auditRoutes } from './audit-page.js';
import { page } from './layout.js';
import { html } from './html.js';
import { operatorRoutes } from './operator-pages.js';
import { RedisSessionStore } from './session-store.js';
import { signInRoutes } from './sign-in.js';
import { userActionRoutes } from './user-actions.js';
import { userRoutes } from './user-pages.js';

/** What the console works with: the CLI's own services, over the same store. */
export interface ConsoleBackend {
  readonly service: CredentialService;
  readonly audit: AuditReader;
  readonly operators: OperatorService;
  readonly operatorStore: OperatorRepository;
}

/** What every route module is given. */
export interface ConsoleContext {
  readonly backend: ConsoleBackend;
  readonly config: Pick<RadgateConfig, 'policy' | 'timeZone' | 'challenge' | 'codes'>;
  readonly console: ConsoleConfig;
  readonly clock: Clock;
  readonly logger: Logger;
}

/**
 * The Content Security Policy (README "Helpdesk console"): scripts, styles and forms from the
 * console only, images from it or data: URLs (the QR codes, rendered on the server), no
 * framing, no plugins, nothing inline. Helmet adds HSTS, nosniff, no-referrer and the
 * cross-origin isolation headers.
 */
const CSP = {
  useDefaults: false,
  directives: {
    defaultSrc: ["'none'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", 'data:'],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
    baseUri: ["'none'"],
    connectSrc: ["'none'"],
    objectSrc: ["'none'"],
  },
};

/**
 * Builds the console's fastify app over HTTPS. Everything a browser can send is checked in
 * hooks before any handler: the session and role (Access), and a CSRF token on every
 * request that is not GET/HEAD. Pages are rendered on the server and never cached.
 */
export async function buildConsole(context: ConsoleContext): Promise<FastifyInstance> {
  const { console: settings, logger } = context;
  const app = Fastify({
    https: tlsOptions(settings),
    // The console logs its own lines (below), never a request's body, cookies or query.
    logger: false,
    bodyLimit: 16 * 1024,
    return503OnClosing: true,
    connectionTimeout: 30_000,
    keepAliveTimeout: 5_000,
  });
  await app.register(fastifyHelmet, { contentSecurityPolicy: CSP, hsts: { maxAge: 31_536_000 }, referrerPolicy: { policy: 'no-referrer' }, crossOriginEmbedderPolicy: true });
  await app.register(fastifyFormbody);
  await app.register(fastifyCookie);
  await app.register(fastifySession, {
    // Signs the cookie; the session itself is in Redis, so a restart (a new secret) only asks operators to sign in again.
    secret: randomBytes(32).toString('base64url'),
    // __Host-: the browser keeps it only if Secure, Path=/ and no Domain (RFC 6265bis §4.1.3.2).
    cookieName: '__Host-radgate-console',
    cookie: { secure: true, httpOnly: true, sameSite: 'strict', path: '/' },
    saveUninitialized: false,
    // Saved when a handler changed it, not on every request (assets included): fewer writes
    // that could race a sign-out (the store refuses those anyway, see RedisSessionStore).
    rolling: false,
    store: new RedisSessionStore(context.backend.operatorStore, settings.sessionIdleSeconds, settings.sessionMaxSeconds),
  });
  await app.register(fastifyCsrf, { sessionPlugin: '@fastify/session', getToken: (request) => (request.body as Record<string, string> | undefined)?._csrf });
  await app.register(fastifyRateLimit, {
    global: false,
    errorResponseBuilder: () => new ConsoleRefusal(403, 'Too many sign-in attempts from this address. Wait a minute and try again.'),
  });

  const access = new Access({ operators: context.backend.operators, console: settings, clock: context.clock, logger });
  // Who first, so a request from a signed-out tab hears that it is signed out; then its CSRF token.
  app.addHook('preHandler', access.check);
  app.addHook('preHandler', (request, reply, done) => {
    if (request.method === 'GET' || request.method === 'HEAD') return done();
    app.csrfProtection(request, reply, done);
  });
  app.addHook('onSend', async (request, reply) => {
    // Pages hold personal data and, once, secrets: never kept by a browser or a proxy.
    if (!request.url.startsWith('/assets/')) reply.header('Cache-Control', 'no-store');
  });
  app.addHook('onResponse', async (request, reply) => {
    // The route pattern, never the URL: a query string is the operator's typing.
    logger.info({ method: request.method, route: request.routeOptions.url ?? 'unknown', status: reply.statusCode, operator: request.operator?.name, ms: Math.round(reply.elapsedTime) }, 'console request');
  });
  app.setErrorHandler((error: FastifyError | Error, request, reply) => errorPage(error, request, reply, logger));
  app.setNotFoundHandler((request, reply) => errorPage(new ConsoleRefusal(404, 'There is no such page.'), request, reply, logger));

  app.get('/assets/console.css', (_request, reply) => reply.type('text/css; charset=utf-8').header('Cache-Control', 'max-age=3600').send(STYLESHEET));
  app.get('/assets/console.js', (_request, reply) => reply.type('text/javascript; charset=utf-8').header('Cache-Control', 'max-age=3600').send(SCRIPT));
  app.get('/', { config: { allow: 'read' } }, (_request, reply) => reply.redirect('/users', 303));
  signInRoutes(app, context);
  userRoutes(app, context);
  userActionRoutes(app, context);
  auditRoutes(app, context);
  operatorRoutes(app, context);
  return app;
}

/**
 * An error as a page: refusals and admin errors by their message (written for the helpdesk;
 * they never hold a code or a secret), anything else as a generic line with the request id
 * to find the log line, never the error's text, which could quote input.
 */
function errorPage(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply, logger: Logger): FastifyReply {
  let status = 500;
  let message = `Something went wrong (request ${request.id}); the gateway's log has the details.`;
  const code = (error as FastifyError).code;
  if (error instanceof ConsoleRefusal) [status, message] = [error.statusCode, error.message];
  else if (error instanceof AdminError) [status, message] = [400, error.message];
  else if (code === 'FST_CSRF_INVALID_TOKEN' || code === 'FST_CSRF_MISSING_SECRET') [status, message] = [403, 'This form has expired or did not come from this console. Go back, reload the page and try again.'];
  else if (error instanceof RadgateError && error.code === 'RADGATE_STORE_UNAVAILABLE') [status, message] = [503, 'The credential store does not answer. Try again in a moment.'];
  else if ((error as FastifyError).statusCode !== undefined && (error as FastifyError).statusCode! < 500) [status, message] = [(error as FastifyError).statusCode!, 'The request was not understood.'];
  if (status >= 500) logger.error({ err: error, request: request.id, route: request.routeOptions.url }, 'console: request failed');
  else logger.info({ code: code ?? (error as RadgateError).code, status, route: request.routeOptions.url, operator: request.operator?.name }, 'console: request refused');
  const back = status === 401 ? html`<p><a class="button" href="/login">Sign in</a></p>` : html`<p><a href="/users">Back to the users</a></p>`;
  return reply.status(status).type('text/html; charset=utf-8').send(page({ title: status === 401 ? 'Signed out' : status === 403 ? 'Not allowed' : status === 404 ? 'Not found' : 'Error', problem: message }, back));
}

function tlsOptions(settings: Pick<ConsoleConfig, 'certificate' | 'key'>): { cert: Buffer; key: Buffer; minVersion: 'TLSv1.2' } {
  return { cert: settings.certificate, key: settings.key, minVersion: 'TLSv1.2' };
}

/** The console's HTTPS listener, as `serve` and `radgate console` run it. */
export class ConsoleListener {
  private constructor(
    private readonly app: FastifyInstance,
    readonly address: AddressInfo,
  ) {}

  static async start(context: ConsoleContext): Promise<ConsoleListener> {
    const listen = context.console.listen;
    if (listen === undefined) throw new Error('console.listen is off');
    const app = await buildConsole(context);
    try {
      await app.listen({ host: listen.host, port: listen.port, ipv6Only: listen.family === 6 });
    } catch (error) {
      await app.close();
      const where = listen.family === 6 ? `[${listen.host}]:${listen.port}` : `${listen.host}:${listen.port}`;
      throw new RadgateError('RADGATE_SERVE_CONSOLE_LISTEN_FAILED', `cannot listen for the helpdesk console on ${where}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}; set console.listen to a free address, or to off`);
    }
    const address = app.server.address() as AddressInfo;
    context.logger.info({ address: address.address, port: address.port }, 'listening for the helpdesk console (HTTPS)');
    return new ConsoleListener(app, address);
  }

  /**
   * A renewed certificate and key (a reload): checked first (a key that does not match the
   * certificate is a problem, and nothing changes), then used for every new connection.
   */
  certificateChange(settings: Pick<ConsoleConfig, 'certificate' | 'key'>): { readonly problem: string } | { readonly apply: () => void } {
    try {
      createSecureContext(tlsOptions(settings));
    } catch (error) {
      return { problem: `console.certificate_file and key_file cannot be used together: ${(error as Error).message}` };
    }
    return { apply: () => (this.app.server as HttpsServer).setSecureContext(tlsOptions(settings)) };
  }

  /** Stops accepting, ends keep-alive connections, and waits for the requests in progress. */
  async close(): Promise<void> {
    await this.app.close();
  }
}
