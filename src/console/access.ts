import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { OperatorService } from '../admin/operators.js';
import { cidrContains, parseCidr, peerAddressBytes } from '../config/cidr.js';
import type { ConsoleConfig } from '../config/types.js';
import type { Clock } from '../credentials/clock.js';
import type { OperatorRecord, OperatorRole } from '../credentials/operator-records.js';
import { PageRefusal } from '../web/page-refusal.js';

/** What a route needs: to read (every role), the helpdesk's actions, or an admin's. */
export type Permission = 'read' | 'helpdesk' | 'admin';

/** The roles of the issue: helpdesk issues, revokes, unlocks and answers challenges; admin also manages users, tokens and operators; auditor only reads. */
const GRANTS: Readonly<Record<OperatorRole, ReadonlySet<Permission>>> = {
  auditor: new Set(['read']),
  helpdesk: new Set(['read', 'helpdesk']),
  admin: new Set(['read', 'helpdesk', 'admin']),
};

export function allows(role: OperatorRole, permission: Permission): boolean {
  return GRANTS[role].has(permission);
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in operator, on every route that declares `config.allow`. */
    operator?: OperatorRecord;
  }
  interface FastifyContextConfig {
    /** What the route needs; a route without it is public (sign-in pages, assets). */
    allow?: Permission;
  }
}

export interface AccessOptions {
  readonly operators: OperatorService;
  readonly console: Pick<ConsoleConfig, 'sessionIdleSeconds' | 'sessionMaxSeconds' | 'trustedProxy'>;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** Refusals the error handler renders as pages (web/error-page.ts), with their HTTP status. */
export class ConsoleRefusal extends PageRefusal {
  override readonly name = 'ConsoleRefusal';

  constructor(statusCode: 400 | 401 | 403 | 404, message: string) {
    super('RADGATE_CONSOLE_REFUSED', statusCode, message);
  }
}

/**
 * Who is asking, for every route that needs someone: the operator the trusted SSO proxy
 * names (only on a request from the proxy's own address), or the one this session signed
 * in, while it is within its idle and absolute lifetimes and the operator's password and
 * TOTP secret are the ones it signed in with. The operator record is read on every request,
 * so a removed operator, a changed role or a reset factor takes effect at once.
 */
export class Access {
  private readonly proxy: { readonly network: ReturnType<typeof parseCidr>; readonly header: string } | undefined;

  constructor(private readonly options: AccessOptions) {
    const proxy = options.console.trustedProxy;
    this.proxy = proxy === undefined ? undefined : { network: parseCidr(proxy.address), header: proxy.header };
  }

  /** The preHandler of every route: refuses (401, 403) before the handler runs. */
  readonly check = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const allow = request.routeOptions.config.allow;
    if (allow === undefined) return undefined;
    const operator = await this.signedIn(request);
    if (operator === undefined) {
      if (request.method === 'GET') return reply.redirect('/login', 303);
      throw new ConsoleRefusal(401, 'You are not signed in (your session ended, or you signed out in another tab). Sign in again.');
    }
    if (!allows(operator.role, allow)) throw new ConsoleRefusal(403, `Your role (${operator.role}) does not allow this.`);
    request.operator = operator;
    return undefined;
  };

  private fromProxy(request: FastifyRequest): string | undefined {
    if (this.proxy === undefined) return undefined;
    const value = request.headers[this.proxy.header];
    if (typeof value !== 'string' || value === '') return undefined;
    if (cidrContains(this.proxy.network, peerAddressBytes(request.socket.remoteAddress ?? ''))) return value;
    // Anyone can send the header; only the proxy is believed.
    this.options.logger.warn({ source: request.socket.remoteAddress, header: this.proxy.header }, 'console: ignored the SSO header from an address that is not the trusted proxy');
    return undefined;
  }

  async signedIn(request: FastifyRequest): Promise<OperatorRecord | undefined> {
    const { session } = request;
    const now = this.options.clock();
    const named = this.fromProxy(request);
    if (named !== undefined) {
      const record = await this.options.operators.find(named);
      if (record === undefined) return undefined;
      if (session.operator !== named) {
        // regenerate() puts a new session on the request: write to that one.
        await session.regenerate();
        request.session.operator = named;
        request.session.signedInAt = now;
      }
      request.session.lastSeenAt = now;
      return record;
    }
    const name = session.operator;
    if (name === undefined) return undefined;
    const { sessionIdleSeconds, sessionMaxSeconds } = this.options.console;
    const expired = now - (session.signedInAt ?? 0) > sessionMaxSeconds * 1000 || now - (session.lastSeenAt ?? 0) > sessionIdleSeconds * 1000;
    const found = expired ? undefined : await this.options.operators.find(name);
    // A password or TOTP reset since this session signed in ends it (OperatorService.credentialStamp).
    const record = found !== undefined && session.credentials === this.options.operators.credentialStamp(found) ? found : undefined;
    if (record === undefined) {
      await session.destroy();
      return undefined;
    }
    session.lastSeenAt = now;
    return record;
  }
}
