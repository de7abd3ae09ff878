import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { ListenAddress, OpsConfig } from '../config/types.js';
import { RadgateError } from '../errors.js';
import { RequestAuth } from './request-auth.js';

/** What the routes report; serve/ supplies it for one process or for the primary of many. */
export interface OpsProbes {
  /** The Prometheus text exposition of every process, merged. */
  metrics(): Promise<{ readonly contentType: string; readonly body: string }>;
  /** Undefined when ready, else why not (one short line for the operator). */
  notReady(): string | undefined;
}

/**
 * The operations HTTP listener (README "Operations"): `/health` (the process runs),
 * `/ready` (it serves: 200, else 503 with the reason) and `/metrics` (Prometheus text
 * format). GET and HEAD only. With `ops.auth`, `/metrics` and `/ready` need the
 * credentials; `/health` says nothing but "alive", so a container's HEALTHCHECK or a
 * service manager needs no secret for it.
 *
 * node:http rather than a framework: three fixed routes, no body to parse, and a listener
 * that must not share anything with the RADIUS path.
 */
export class OpsListener {
  private constructor(
    private readonly server: Server,
    readonly address: AddressInfo,
  ) {}

  static async start(listen: ListenAddress, config: Pick<OpsConfig, 'auth' | 'credentials'>, probes: OpsProbes, logger: Logger): Promise<OpsListener> {
    const auth = new RequestAuth(config);
    const server = createServer((request, response) => void route(request, response, auth, probes, logger));
    // A scrape is one short request; an idle keep-alive connection is closed soon after.
    server.keepAliveTimeout = 5000;
    server.headersTimeout = 10_000;
    server.requestTimeout = 30_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => {
        const where = listen.family === 6 ? `[${listen.host}]:${listen.port}` : `${listen.host}:${listen.port}`;
        reject(new RadgateError('RADGATE_SERVE_OPS_LISTEN_FAILED', `cannot listen for operations (/metrics, /health, /ready) on ${where}: ${error.code ?? error.message}; set ops.listen to a free address, or to off`));
      });
      server.listen({ host: listen.host, port: listen.port, ipv6Only: listen.family === 6 }, () => resolve());
    });
    server.on('error', (error) => logger.error({ err: error }, 'ops listener error'));
    const address = server.address() as AddressInfo;
    logger.info({ address: address.address, port: address.port, auth: config.auth }, 'listening for operations');
    return new OpsListener(server, address);
  }

  /** Stops accepting and closes every connection, idle or not (a scrape can be retried). */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

async function route(request: IncomingMessage, response: ServerResponse, auth: RequestAuth, probes: OpsProbes, logger: Logger): Promise<void> {
  const path = (request.url ?? '/').split('?')[0];
  if (request.method !== 'GET' && request.method !== 'HEAD') return reply(response, 405, 'method not allowed\n', { Allow: 'GET, HEAD' });
  if (path === '/health') return reply(response, 200, 'alive\n');
  if (path !== '/ready' && path !== '/metrics') return reply(response, 404, 'not found: try /metrics, /health or /ready\n');
  if (!auth.allows(request.headers.authorization)) return reply(response, 401, 'unauthorized\n', { 'WWW-Authenticate': auth.challenge });
  if (path === '/ready') {
    const why = probes.notReady();
    return why === undefined ? reply(response, 200, 'ready\n') : reply(response, 503, `not ready: ${why}\n`);
  }
  try {
    const { contentType, body } = await probes.metrics();
    reply(response, 200, body, { 'Content-Type': contentType });
  } catch (error) {
    logger.error({ err: error }, 'could not collect the metrics');
    reply(response, 500, 'could not collect the metrics; see the log\n');
  }
}

function reply(response: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', ...headers });
  response.end(response.req.method === 'HEAD' ? undefined : body);
}
