import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyFormbody from '@fastify/formbody';
import fastifyHelmet from '@fastify/helmet';
import fastifyRateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyRequest, type preHandlerAsyncHookHandler } from 'fastify';
import type { Logger } from 'pino';
import { SCRIPT, SCRIPT_PATH, STYLESHEET, STYLESHEET_PATH } from './assets.js';
import { clientAddressOf, sourceKeyOf } from './client-address.js';
import { errorPage, type ErrorPageOptions } from './error-page.js';
import { tlsOptions, type TlsFiles } from './https-listener.js';

/**
 * The Content Security Policy of every radgate page: scripts, styles and forms from the
 * site only, images from it or data: URLs (the QR codes, rendered on the server), no
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
 * Where a form's CSRF secret lives: in a server-side session (the console's), or, for
 * pages without sessions, in a cookie of its own (__Host-, signed, HttpOnly, SameSite=Strict).
 */
export type CsrfSecret = { readonly session: true } | { readonly cookie: string; readonly signingSecret: string };

export interface HttpsAppOptions extends ErrorPageOptions {
  readonly tls: TlsFiles;
  readonly logger: Logger;
  /** The request log line's message ("console request"). */
  readonly requestLine: string;
  /** Fields a request log line adds (the console's operator); never a body, cookie or query. */
  readonly requestFields?: (request: FastifyRequest) => Record<string, unknown>;
  readonly csrf: CsrfSecret;
  /** Registers the session plugin, when `csrf` is kept in a session (it must come before the CSRF plugin). */
  readonly sessions?: (app: FastifyInstance) => Promise<void>;
  /** Checks run before the CSRF check on every request (the console's "who is asking"). */
  readonly guards?: readonly preHandlerAsyncHookHandler[];
  /** The rate limiter's answer to a source over its limit. */
  readonly tooManyRequests: () => Error;
  /** The client's address, as the app judges it (behind a proxy, its header); default the TCP peer. Rate limits count by it. */
  readonly clientAddress?: (request: FastifyRequest) => string;
}

/**
 * The HTTP stack radgate's web apps share (the helpdesk console, the self-service pages):
 * fastify over HTTPS, helmet with the strict CSP, form bodies, cookies, a CSRF token on
 * every request that is not GET/HEAD, rate limits the routes opt into, no caching of pages,
 * a log line per request that names the route pattern (never the URL, body or cookies),
 * error pages that never quote input, and the shared assets. Routes are the caller's.
 */
export async function buildHttpsApp(options: HttpsAppOptions): Promise<FastifyInstance> {
  const { logger } = options;
  const app = Fastify({
    https: tlsOptions(options.tls),
    // The app logs its own lines (below), never a request's body, cookies or query.
    logger: false,
    bodyLimit: 16 * 1024,
    return503OnClosing: true,
    connectionTimeout: 30_000,
    keepAliveTimeout: 5_000,
  });
  await app.register(fastifyHelmet, { contentSecurityPolicy: CSP, hsts: { maxAge: 31_536_000 }, referrerPolicy: { policy: 'no-referrer' }, crossOriginEmbedderPolicy: true });
  await app.register(fastifyFormbody);
  const { csrf } = options;
  await app.register(fastifyCookie, 'cookie' in csrf ? { secret: csrf.signingSecret } : {});
  await options.sessions?.(app);
  const getToken = (request: FastifyRequest): string | undefined => (request.body as Record<string, string> | undefined)?._csrf;
  if ('cookie' in csrf) {
    // __Host-: the browser keeps it only if Secure, Path=/ and no Domain (RFC 6265bis §4.1.3.2).
    await app.register(fastifyCsrf, { cookieKey: csrf.cookie, cookieOpts: { path: '/', secure: true, httpOnly: true, sameSite: 'strict', signed: true }, getToken });
  } else {
    await app.register(fastifyCsrf, { sessionPlugin: '@fastify/session', getToken });
  }
  const clientAddress = options.clientAddress ?? clientAddressOf(undefined);
  await app.register(fastifyRateLimit, {
    global: false,
    // Every limit counts an IPv6 client by its /64, whoever judged the address (client-address.ts).
    keyGenerator: (request) => sourceKeyOf(clientAddress(request)),
    errorResponseBuilder: options.tooManyRequests,
  });

  for (const guard of options.guards ?? []) app.addHook('preHandler', guard);
  app.addHook('preHandler', (request, reply, done) => {
    if (request.method === 'GET' || request.method === 'HEAD') return done();
    app.csrfProtection(request, reply, done);
  });
  app.addHook('onSend', async (request, reply) => {
    // Pages hold personal data and, once, secrets: never kept by a browser or a proxy.
    if (!request.url.startsWith('/assets/')) reply.header('Cache-Control', 'no-store');
  });
  app.addHook('onResponse', async (request, reply) => {
    // The route pattern, never the URL: a query string is the user's typing.
    logger.info({ method: request.method, route: request.routeOptions.url ?? 'unknown', status: reply.statusCode, ...options.requestFields?.(request), ms: Math.round(reply.elapsedTime) }, options.requestLine);
  });
  app.setErrorHandler((error: FastifyError | Error, request, reply) => errorPage(error, request, reply, options));
  app.setNotFoundHandler((request, reply) => errorPage(options.notFound(), request, reply, options));

  app.get(STYLESHEET_PATH, (_request, reply) => reply.type('text/css; charset=utf-8').header('Cache-Control', 'max-age=3600').send(STYLESHEET));
  app.get(SCRIPT_PATH, (_request, reply) => reply.type('text/javascript; charset=utf-8').header('Cache-Control', 'max-age=3600').send(SCRIPT));
  return app;
}
