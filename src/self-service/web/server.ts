import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest, onRequestHookHandler } from 'fastify';
import type { Logger } from 'pino';
import type { LiveConfig } from '../../config/live-config.js';
import type { PolicyConfig, SelfServiceConfig } from '../../config/types.js';
import { clientAddressOf } from '../../web/client-address.js';
import { html } from '../../web/html.js';
import { buildHttpsApp } from '../../web/https-app.js';
import { HttpsListener } from '../../web/https-listener.js';
import { PageRefusal } from '../../web/page-refusal.js';
import type { SelfService } from '../self-service.js';
import { nextSteps, selfServicePage, sendPage } from './layout.js';
import { registerTokenRoutes } from './register-token.js';
import { requestCodeRoutes } from './request-code.js';
import { resetPinRoutes } from './reset-pin.js';

/**
 * What a reload changes behind the pages: the actions (made again with the reloaded PIN
 * policy, user-name rules, code settings and self-service settings), the PIN policy the
 * fields describe, and the code lifetime the pages state. A request reads them once, when it
 * arrives, and keeps them to its answer.
 */
export interface SelfServiceRules {
  readonly service: SelfService;
  /** The PIN policy, for the hint beside the PIN fields (it is enforced behind the service). */
  readonly pin: PolicyConfig['pin'];
  /** self_service.code_lifetime, as the config writes it. */
  readonly codeLifetime: string;
}

/** What the pages are built from: the rules in force, the listener's settings (fixed at start), the logger. */
export interface SelfServiceSite {
  readonly rules: LiveConfig<SelfServiceRules>;
  /** The listener, certificate, per-source limit and trusted proxy: a change but the certificate's needs a restart. */
  readonly settings: SelfServiceConfig;
  readonly logger: Logger;
}

/** What every route module is given. */
export interface SelfServicePagesContext {
  readonly rules: LiveConfig<SelfServiceRules>;
  /** The client's address: the TCP peer, or behind the trusted proxy what its header says. */
  readonly sourceOf: (request: FastifyRequest) => string;
  /** One per-source limit shared by every form post (self_service.requests_per_source_per_minute). */
  readonly sourceLimit: onRequestHookHandler;
}

const LISTENER_NAMES = { what: 'self-service', section: 'self_service', listenFailed: 'RADGATE_SERVE_SELF_SERVICE_LISTEN_FAILED' } as const;

const refusal = (status: 404 | 429, message: string): PageRefusal => new PageRefusal('RADGATE_SELF_SERVICE_REFUSED', status, message);

/**
 * The self-service pages on the shared HTTPS stack (web/https-app.ts). They have no
 * sign-in, so no session: the CSRF secret is a cookie of its own (__Host-, signed with a
 * key this process draws at start, HttpOnly, SameSite=Strict), which costs the store
 * nothing. A Redis session per visitor, as the console keeps, would let anyone on the
 * Internet fill Redis by loading a page; a restart only makes an open form ask to be
 * reloaded. Every rule is behind the SelfService interface: these pages render its answers.
 */
export async function buildSelfServicePages(site: SelfServiceSite): Promise<FastifyInstance> {
  const { settings, logger } = site;
  const sourceOf = clientAddressOf(settings.trustedProxy);
  const app = await buildHttpsApp({
    tls: settings,
    logger,
    requestLine: 'self-service request',
    requestFields: (request) => ({ source: sourceOf(request) }),
    csrf: { cookie: '__Host-radgate-self-service-csrf', signingSecret: randomBytes(32).toString('base64url') },
    tooManyRequests: () => refusal(429, 'Too many requests from your address. Wait a minute and try again.'),
    clientAddress: sourceOf,
    logPrefix: 'self-service',
    csrfRefused: 'This form has expired or did not come from this site. Go back, reload the page and try again.',
    notFound: () => refusal(404, 'There is no such page.'),
    render: ({ status, message }) => selfServicePage({ title: status === 404 ? 'Not found' : status === 429 || status === 403 ? 'Not now' : 'Error', problem: message }, html`<p><a href="/">Back to the start</a></p>`),
  });
  const context: SelfServicePagesContext = {
    rules: site.rules,
    sourceOf,
    sourceLimit: app.rateLimit({ max: settings.requestsPerSourcePerMinute, timeWindow: 60_000 }),
  };
  app.get('/', async (_request, reply) =>
    sendPage(reply, 200, { title: 'Your token and PIN' }, html`<p>No need to call the helpdesk: with a code sent by SMS to the mobile number on record, you can set a new PIN or register a new token yourself.</p>${nextSteps}`),
  );
  requestCodeRoutes(app, context);
  resetPinRoutes(app, context);
  registerTokenRoutes(app, context);
  return app;
}

/** The self-service HTTPS listener, as `serve` and `radgate self-service` run it. */
export async function startSelfServiceListener(site: SelfServiceSite): Promise<HttpsListener> {
  const listen = site.settings.listen;
  if (listen === undefined) throw new Error('self_service.listen is off');
  return HttpsListener.start(await buildSelfServicePages(site), listen, site.settings, LISTENER_NAMES, site.logger);
}
