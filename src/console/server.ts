import { randomBytes } from 'node:crypto';
import fastifySession from '@fastify/session';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { AdminError } from '../admin/admin-error.js';
import type { AuditReader } from '../admin/audit-reader.js';
import type { CredentialService } from '../admin/credential-service.js';
import type { OperatorService } from '../admin/operators.js';
import type { LiveConfig } from '../config/live-config.js';
import type { ConsoleConfig, RadgateConfig } from '../config/types.js';
import type { Clock } from '../credentials/clock.js';
import type { OperatorRepository } from '../store/operator-repository.js';
import { html } from '../web/html.js';
import { buildHttpsApp } from '../web/https-app.js';
import { HttpsListener } from '../web/https-listener.js';
import { Access, ConsoleRefusal } from './access.js';
import { auditRoutes } from './audit-page.js';
import { page } from './layout.js';
import { operatorRoutes } from './operator-pages.js';
import { RedisSessionStore } from './session-store.js';
import { signInRoutes } from './sign-in.js';
import { userActionRoutes } from './user-actions.js';
import { userRoutes } from './user-pages.js';

/** What the console works with: the CLI's own services, over the same store. */
export interface ConsoleBackend {
  readonly audit: AuditReader;
  readonly operators: OperatorService;
  readonly operatorStore: OperatorRepository;
}

/**
 * What a reload changes behind the console: the credential service, made again under the
 * reloaded PIN policy, lockout, user-name rules and code settings (so the console applies
 * the rules the gateway and the CLI do), and the settings the pages show. A request reads
 * them once, when it arrives, and keeps them to its answer.
 */
export interface ConsoleRules {
  readonly service: CredentialService;
  readonly config: Pick<RadgateConfig, 'policy' | 'timeZone' | 'challenge' | 'codes'>;
}

/** What every route module is given. */
export interface ConsoleContext {
  readonly backend: ConsoleBackend;
  readonly rules: LiveConfig<ConsoleRules>;
  readonly console: ConsoleConfig;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** The console's names in its log line and errors. */
const LISTENER_NAMES = { what: 'the helpdesk console', section: 'console', listenFailed: 'RADGATE_SERVE_CONSOLE_LISTEN_FAILED' } as const;

/**
 * Builds the console's app on the shared HTTPS stack (web/https-app.ts). Everything a
 * browser can send is checked in hooks before any handler: the session and role (Access),
 * then a CSRF token on every request that is not GET/HEAD, kept in the session.
 */
export async function buildConsole(context: ConsoleContext): Promise<FastifyInstance> {
  const { console: settings, logger } = context;
  const access = new Access({ operators: context.backend.operators, console: settings, clock: context.clock, logger });
  const requestFields = (request: FastifyRequest): Record<string, unknown> => ({ operator: request.operator?.name });
  const app = await buildHttpsApp({
    tls: settings,
    logger,
    requestLine: 'console request',
    requestFields,
    csrf: { session: true },
    sessions: async (server) => {
      await server.register(fastifySession, {
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
    },
    // Who first, so a request from a signed-out tab hears that it is signed out; then its CSRF token.
    guards: [access.check],
    tooManyRequests: () => new ConsoleRefusal(403, 'Too many sign-in attempts from this address. Wait a minute and try again.'),
    logPrefix: 'console',
    explain: (error) => (error instanceof AdminError ? { status: 400, message: error.message } : undefined),
    csrfRefused: 'This form has expired or did not come from this console. Go back, reload the page and try again.',
    notFound: () => new ConsoleRefusal(404, 'There is no such page.'),
    render: ({ status, message }) => {
      const back = status === 401 ? html`<p><a class="button" href="/login">Sign in</a></p>` : html`<p><a href="/users">Back to the users</a></p>`;
      return page({ title: status === 401 ? 'Signed out' : status === 403 ? 'Not allowed' : status === 404 ? 'Not found' : 'Error', problem: message }, back);
    },
  });
  app.get('/', { config: { allow: 'read' } }, (_request, reply) => reply.redirect('/users', 303));
  signInRoutes(app, context);
  userRoutes(app, context);
  userActionRoutes(app, context);
  auditRoutes(app, context);
  operatorRoutes(app, context);
  return app;
}

/** The console's HTTPS listener, as `serve` and `radgate console` run it. */
export async function startConsoleListener(context: ConsoleContext): Promise<HttpsListener> {
  const listen = context.console.listen;
  if (listen === undefined) throw new Error('console.listen is off');
  return HttpsListener.start(await buildConsole(context), listen, context.console, LISTENER_NAMES, context.logger);
}
