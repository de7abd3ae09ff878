import type { Socket } from 'node:net';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import type { RadgateConfig, RadsecClientConfig } from '../config/types.js';
import { Counters } from '../observability/counters.js';
import { RateLimitedWarning } from '../observability/rate-limited-log.js';
import { RadsecConnection, type CloseReason } from './radsec-connection.js';
import { HandshakeRateLimit } from './handshake-admission.js';
import { RADSEC_ALPN, RadsecPeers, type HandshakeResult, type OfferedPsk } from './radsec-peers.js';
import type { RequestHandler, TransportConfig } from './request-handler.js';
import { MAX_REPLY_DELAY_MS, RequestPipeline, type ServerCounter } from './request-pipeline.js';
import { ServedConfigs } from './served-config.js';

export type RadsecCounter = ServerCounter | 'handshakes' | 'closed';

/** What the TLS listener reads of the configuration. */
export type RadsecTransportConfig = TransportConfig & Pick<RadgateConfig, 'radsec'>;

export interface RadsecServerOptions<Config extends RadsecTransportConfig> {
  /** The configuration in force; a reload replaces it (certificates, keys, CRL, PSKs, clients, limits). */
  readonly config: { readonly current: Config };
  readonly handler: RequestHandler<Config>;
  readonly logger: Logger;
}

/** What the listener remembers of a socket during its handshake. */
interface Handshake {
  readonly address: string;
  /** What the PSK callback saw, with the rule that gave the key (from the rules in force then). */
  offeredPsk: OfferedPsk | undefined;
  settled: boolean;
}

/**
 * RADIUS over TLS (RFC 6614; draft-ietf-radext-radiusdtls-bis): a TCP listener (2083 by
 * default) whose peers prove who they are with a certificate from a configured CA or a
 * pre-shared key, and whose packets go through the same request pipeline and policy as
 * UDP's, with the fixed secret `radsec`. Every refused handshake is closed and counted by
 * its cause; nothing a peer sends can stop the listener or hold up other connections.
 * Node has no DTLS, so RADIUS/DTLS (RFC 7360) is not offered.
 */
export class RadsecServer<Config extends RadsecTransportConfig = RadsecTransportConfig> {
  readonly counters = new Counters<RadsecCounter>();
  private readonly servers: Server[] = [];
  private readonly pipeline: RequestPipeline<Config>;
  private readonly served: ServedConfigs<Config>;
  private readonly initial: Config;
  private peers: RadsecPeers;
  private readonly handshakes = new WeakMap<Socket, Handshake>();
  private readonly handshakingFrom = new Map<string, number>();
  private readonly rate = new HandshakeRateLimit();
  /** Handshakes in progress, all sources. */
  private handshaking = 0;
  private readonly connections = new Set<RadsecConnection<Config>>();
  private readonly perClient = new Map<RadsecClientConfig['radius']['name'], number>();
  private readonly warnings: RateLimitedWarning;
  private open = 0;

  constructor(private readonly options: RadsecServerOptions<Config>) {
    this.initial = options.config.current;
    if (this.initial.radsec === undefined) throw new Error('RadsecServer needs a radsec section');
    this.peers = new RadsecPeers(this.initial.radsec);
    this.served = new ServedConfigs(options.config, options.handler);
    this.warnings = new RateLimitedWarning(options.logger, { topic: 'radsec' });
    this.pipeline = new RequestPipeline({
      handler: options.handler,
      logger: options.logger,
      counters: this.counters,
      warnings: this.warnings,
      requestTimeoutMs: this.initial.requestTimeoutMs,
      transport: 'radsec',
    });
  }

  /** Connections established now (handshakes done, not yet closed). */
  get openConnections(): number {
    return this.connections.size;
  }

  async start(): Promise<void> {
    try {
      for (const { host, port, family } of this.initial.radsec!.listen) {
        const server = createServer({
          ...this.peers.contextOptions,
          // Always: whether certificate clients exist can change at a reload, and this cannot.
          // A PSK handshake is not asked for one (RFC 8446 §4.3.2), and identity is checked
          // after the handshake anyway (radsec-peers.ts).
          requestCert: true,
          // Checked by us after the handshake (radsec-peers.ts): a PSK peer has no certificate,
          // and refusals are counted by their cause rather than lost in an OpenSSL alert.
          rejectUnauthorized: false,
          ALPNProtocols: RADSEC_ALPN,
          // Fixed at start (a restart-only key in reload-diff.ts): tls.Server reads it once.
          handshakeTimeout: this.initial.radsec!.handshakeTimeoutMs,
          pskCallback: (socket, identity) => this.pskKey(socket, identity),
        });
        // Before tls.Server's own listener wraps the socket in TLS: a reloaded context is then
        // in place for this very connection, and one over the limits costs no handshake.
        server.prependListener('connection', (raw: Socket) => this.accepted(raw));
        server.on('secureConnection', (socket: TLSSocket) => this.secured(socket));
        server.on('tlsClientError', (error: NodeJS.ErrnoException, socket: TLSSocket) => this.handshakeFailed(error, socket));
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen({ host, port, ipv6Only: family === 6 }, () => {
            server.off('error', reject);
            resolve();
          });
        });
        server.on('error', (error) => this.options.logger.error({ err: error }, 'RadSec listener error'));
        this.servers.push(server);
        const bound = server.address() as { address: string; port: number };
        this.options.logger.info({ address: bound.address, port: bound.port }, 'listening for RADIUS over TLS');
      }
    } catch (error) {
      await this.closeListeners();
      throw error;
    }
  }

  addresses(): { address: string; port: number; family: string }[] {
    return this.servers.map((server) => server.address() as { address: string; port: number; family: string });
  }

  /**
   * Takes a reloaded configuration's certificates, key, CRL, PSKs and clients for the
   * connections that come from now on; established ones keep the identity they proved.
   */
  private current(): RadsecPeers {
    const radsec = this.options.config.current.radsec;
    if (radsec !== undefined && radsec !== this.peers.config) {
      this.peers = new RadsecPeers(radsec);
      // The context of the connections to come; established ones keep theirs (RFC 6614 §2.4).
      for (const server of this.servers) server.setSecureContext(this.peers.contextOptions);
    }
    return this.peers;
  }

  /** Why a socket just accepted may not begin a handshake, or undefined: it may. */
  private refusalOnArrival(address: string): HandshakeResult | undefined {
    const peers = this.current();
    const limits = peers.config;
    if (!peers.mayConnectFrom(address)) return 'unknown-address';
    if (this.open >= limits.maxConnections || (this.handshakingFrom.get(address) ?? 0) >= limits.maxHandshakesPerAddress) return 'over-capacity';
    if (this.handshaking >= limits.maxHandshakesInProgress) return 'handshakes-over-capacity';
    const rate = this.rate.admit(address, { perSecond: limits.maxHandshakesPerSecond, perAddressPerSecond: limits.maxHandshakesPerSecondPerAddress });
    return rate === 'ok' ? undefined : rate;
  }

  private accepted(raw: Socket): void {
    const address = raw.remoteAddress ?? '';
    const refusal = this.refusalOnArrival(address);
    if (refusal !== undefined) {
      this.counters.increment('handshakes', refusal);
      this.warnings.warn(`arrival:${refusal}:${address}`, { source: address, result: refusal, open: this.open, handshaking: this.handshaking }, 'refused a RadSec connection on arrival, before its handshake');
      raw.destroy();
      return;
    }
    this.open++;
    this.handshaking++;
    this.handshakingFrom.set(address, (this.handshakingFrom.get(address) ?? 0) + 1);
    this.handshakes.set(raw, { address, offeredPsk: undefined, settled: false });
    raw.once('close', () => {
      this.open--;
      this.settle(raw);
    });
  }

  /** The handshake is over, one way or the other: it no longer counts against its address. */
  private settle(raw: Socket): Handshake | undefined {
    const handshake = this.handshakes.get(raw);
    if (handshake === undefined || handshake.settled) return handshake;
    handshake.settled = true;
    this.handshaking--;
    const left = (this.handshakingFrom.get(handshake.address) ?? 1) - 1;
    if (left <= 0) this.handshakingFrom.delete(handshake.address);
    else this.handshakingFrom.set(handshake.address, left);
    return handshake;
  }

  private pskKey(socket: TLSSocket, identity: string): Buffer | null {
    const peer = this.current().pskPeer(identity);
    const handshake = this.handshakes.get(rawOf(socket));
    if (handshake !== undefined) handshake.offeredPsk = { identity, peer };
    return peer?.key ?? null;
  }

  private refuse(result: HandshakeResult, address: string, fields: Record<string, unknown> = {}): void {
    this.counters.increment('handshakes', result);
    this.warnings.warn(`handshake:${result}:${address}`, { source: address, result, ...fields }, 'refused a RadSec connection at its handshake');
  }

  private handshakeFailed(error: NodeJS.ErrnoException, socket: TLSSocket): void {
    const handshake = this.settle(rawOf(socket));
    // A socket refused on arrival (over the limits) was counted then; its reset is not news.
    if (handshake === undefined) {
      socket.destroy();
      return;
    }
    const address = handshake.address;
    const code = error.code ?? '';
    let result: HandshakeResult = 'protocol-error';
    if (code === 'ERR_TLS_HANDSHAKE_TIMEOUT') result = 'timeout';
    else if (code === 'ERR_SSL_PSK_IDENTITY_NOT_FOUND') result = 'unknown-psk';
    else if (handshake.offeredPsk !== undefined && /BINDER|BAD_RECORD_MAC|DECRYPT/.test(code)) result = 'wrong-psk';
    this.refuse(result, address, { code });
    socket.destroy();
  }

  private secured(socket: TLSSocket): void {
    const raw = rawOf(socket);
    const handshake = this.settle(raw);
    const address = handshake?.address ?? socket.remoteAddress ?? '';
    const peers = this.current();
    const found = peers.identify(socket, handshake?.offeredPsk, address);
    if (typeof found === 'string') {
      // RFC 6614 §2.4 / the bis draft: a peer that is not a configured client is refused
      // before any RADIUS packet of it is read; none reaches the policy.
      this.refuse(found, address, { subject: socket.getPeerCertificate()?.subject?.CN });
      socket.destroy();
      return;
    }
    const name = found.radius.name;
    const ofClient = this.perClient.get(name) ?? 0;
    if (ofClient >= peers.config.maxConnectionsPerClient) {
      this.refuse('client-over-capacity', address, { client: name });
      socket.destroy();
      return;
    }
    this.perClient.set(name, ofClient + 1);
    this.counters.increment('handshakes', 'ok');
    this.options.logger.info({ client: name, source: address, protocol: socket.getProtocol(), cipher: socket.getCipher().name, alpn: socket.alpnProtocol || undefined }, 'RadSec connection established');
    const initial = this.initial;
    const connection: RadsecConnection<Config> = new RadsecConnection({
      socket,
      client: found,
      pipeline: this.pipeline,
      handler: this.options.handler,
      served: () => this.served.now(),
      idleTimeoutMs: peers.config.idleTimeoutMs,
      partialPacketTimeoutMs: peers.config.handshakeTimeoutMs,
      endGraceMs: peers.config.handshakeTimeoutMs,
      replyCacheTtlMs: initial.replyCache.ttlSeconds * 1000,
      pendingTtlMs: initial.requestTimeoutMs + MAX_REPLY_DELAY_MS,
      count: (counter, reason) => this.counters.increment(counter, reason),
      closed: (reason) => this.closed(connection, reason),
    });
    this.connections.add(connection);
  }

  private closed(connection: RadsecConnection<Config>, reason: CloseReason): void {
    if (!this.connections.delete(connection)) return;
    this.counters.increment('closed', reason);
    const name = connection.client.radius.name;
    const left = (this.perClient.get(name) ?? 1) - 1;
    if (left <= 0) this.perClient.delete(name);
    else this.perClient.set(name, left);
    if (reason !== 'peer-closed' && reason !== 'stopping') {
      this.warnings.warn(`closed:${reason}:${name}`, { client: name, reason }, 'closed a RadSec connection');
    }
  }

  /** Stops accepting, lets every connection's requests in flight be answered, then closes them. */
  async stop(): Promise<void> {
    const listeners = this.closeListeners();
    await Promise.all([...this.connections].map((connection) => connection.drain()));
    await listeners;
    this.warnings.flush();
  }

  private async closeListeners(): Promise<void> {
    await Promise.all(this.servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
    this.servers.length = 0;
  }
}

/** The TCP socket under a TLS socket: what the listener saw accepted. */
function rawOf(socket: TLSSocket): Socket {
  return ((socket as unknown as { _parent?: Socket })._parent ?? socket) as Socket;
}
