import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { Logger } from 'pino';
import { Counters } from '../observability/counters.js';
import { RateLimitedWarning } from '../observability/rate-limited-log.js';
import type { RequestHandler, TransportConfig } from './request-handler.js';
import { ReplyCache, replyCacheKey } from './reply-cache.js';
import { MAX_REPLY_DELAY_MS, RequestPipeline, type ReplyRoute, type ServerCounter } from './request-pipeline.js';
import { ServedConfigs, type Served } from './served-config.js';

export type { ServerCounter } from './request-pipeline.js';

/** On stop, how long requests already queued in the sockets are still read. */
const BACKLOG_READ_MS = 250;

export interface RadiusServerOptions<Config extends TransportConfig> {
  /**
   * The configuration in force (config/live-config.ts), read once per request. A reload
   * replaces it: clients, secrets and dictionaries then apply to the next request; the
   * listeners, the reply cache and the request deadline keep what they started with.
   */
  readonly config: { readonly current: Config };
  readonly handler: RequestHandler<Config>;
  readonly logger: Logger;
  /** Milliseconds since the epoch, which the warning budgets count their minute on (tests pass their own clock). */
  readonly now?: () => number;
}

interface Listener {
  readonly socket: Socket;
  readonly label: string;
}

/**
 * RADIUS over UDP: reads datagrams, finds the client, decodes and authenticates the
 * packet, deduplicates it, asks the handler for a decision and sends the encoded reply.
 * Policy lives in the handler; this class only enforces the protocol.
 */
export class RadiusServer<Config extends TransportConfig = TransportConfig> {
  readonly counters = new Counters<ServerCounter>();
  private readonly cache: ReplyCache;
  private readonly served: ServedConfigs<Config>;
  /**
   * Warnings keyed by a source address, which a spoofer picks freely (unknown clients,
   * source port 0, replies that could not be sent), and warnings about what configured
   * clients sent (keyed by client and reason). Each has its own overall budget, so a flood
   * of spoofed sources cannot hide what a real client's packets got.
   */
  private readonly sourceWarnings: RateLimitedWarning;
  private readonly clientWarnings: RateLimitedWarning;
  private readonly listeners: Listener[] = [];
  private inFlight = 0;
  private batch: { route: ReplyRoute; datagram: Buffer; remote: RemoteInfo; receivedAt: number; served: Served<Config> }[] = [];
  private readonly pipeline: RequestPipeline<Config>;
  private closing = false;
  private drained: (() => void) | undefined;

  /** The configuration the server started with: its listeners and reply cache are made from it. */
  private readonly initial: Config;

  constructor(private readonly options: RadiusServerOptions<Config>) {
    this.initial = options.config.current;
    this.cache = new ReplyCache({
      ttlMs: this.initial.replyCache.ttlSeconds * 1000,
      maxEntries: this.initial.replyCache.maxEntries,
      pendingTtlMs: this.initial.requestTimeoutMs + MAX_REPLY_DELAY_MS,
    });
    this.served = new ServedConfigs(options.config, options.handler);
    const now = options.now ?? Date.now;
    this.sourceWarnings = new RateLimitedWarning(options.logger, { topic: 'sources', now });
    this.clientWarnings = new RateLimitedWarning(options.logger, { topic: 'clients', now });
    this.pipeline = new RequestPipeline({
      handler: options.handler,
      logger: options.logger,
      counters: this.counters,
      warnings: this.clientWarnings,
      requestTimeoutMs: this.initial.requestTimeoutMs,
      transport: 'udp',
    });
  }

  /** Binds every configured listener; rejects (and closes what was bound) if one fails. */
  async start(): Promise<void> {
    try {
      for (const { host, port, family } of this.initial.listen) {
        // ipv6Only lets "0.0.0.0:1812" and "[::]:1812" be bound side by side.
        const socket = createSocket({ type: family === 6 ? 'udp6' : 'udp4', ipv6Only: family === 6 });
        const label = family === 6 ? `[${host}]:${port}` : `${host}:${port}`;
        await new Promise<void>((resolve, reject) => {
          socket.once('error', reject);
          socket.bind(port, host, () => {
            socket.off('error', reject);
            resolve();
          });
        });
        socket.on('error', (error) => this.options.logger.error({ err: error, listener: label }, 'socket error'));
        // One route per socket, made here: nothing is allocated per datagram to answer it.
        const route: ReplyRoute = {
          cache: this.cache,
          // RFC 5080 §2.2.2: a duplicate has the same source address and port and Identifier.
          cacheKey: (source, identifier) => replyCacheKey(source.address, source.port, identifier),
          send: (reply, source) => this.send(socket, source as RemoteInfo, reply),
        };
        socket.on('message', (datagram, remote) => this.enqueue(route, datagram, remote));
        this.listeners.push({ socket, label });
        const bound = socket.address();
        this.options.logger.info({ address: bound.address, port: bound.port }, 'listening for RADIUS');
      }
    } catch (error) {
      await this.closeSockets();
      throw error;
    }
  }

  /** The bound addresses, in listen order (useful when the config asked for port 0). */
  addresses(): { address: string; port: number; family: string }[] {
    return this.listeners.map(({ socket }) => socket.address());
  }

  get replyCacheSize(): number {
    return this.cache.size;
  }

  /**
   * Graceful stop: read no more packets, let requests in progress finish and send their
   * replies (bounded by their deadline and reject delay), then close the sockets.
   */
  async stop(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    await this.readBacklog();
    for (const { socket } of this.listeners) socket.removeAllListeners('message');
    this.drainBatch();
    if (this.inFlight > 0) await new Promise<void>((resolve) => (this.drained = resolve));
    await this.closeSockets();
    this.sourceWarnings.flush();
    this.clientWarnings.flush();
  }

  /**
   * Requests already waiting in the sockets' receive buffers were sent before the stop: read
   * and answer them rather than let them die with the socket. Reading goes on until an
   * event-loop turn brings nothing new, for at most BACKLOG_READ_MS, so a steady stream of
   * new requests cannot hold the shutdown open (the NAS retries those elsewhere).
   */
  private async readBacklog(): Promise<void> {
    const until = Date.now() + BACKLOG_READ_MS;
    let seen = -1;
    while (Date.now() < until && seen !== this.counters.get('received')) {
      seen = this.counters.get('received');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  private async closeSockets(): Promise<void> {
    await Promise.all(this.listeners.map(({ socket }) => new Promise<void>((resolve) => socket.close(() => resolve()))));
    this.listeners.length = 0;
  }

  /**
   * Datagrams are handled in batches, once per event-loop turn (setImmediate runs after
   * the poll phase has read every datagram waiting on the sockets), rather than each in
   * its own callback: the handler can then send a batch's Redis commands in one write, and
   * the turn's overhead is paid once (bench/README.md, "Design measurements").
   */
  private enqueue(route: ReplyRoute, datagram: Buffer, remote: RemoteInfo): void {
    // The reject delay runs from here: arrival, before the batch's earlier requests ran. So
    // does the configuration: a reload handled in the same turn, after the read, does not
    // apply to what was read before it.
    this.batch.push({ route, datagram, remote, receivedAt: performance.now(), served: this.served.now() });
    if (this.batch.length === 1) setImmediate(this.drainBatch);
  }

  private readonly drainBatch = (): void => {
    const batch = this.batch;
    this.batch = [];
    const handler = this.options.handler;
    handler.beginBatch?.();
    try {
      for (const { route, datagram, remote, receivedAt, served } of batch) this.receive(served, route, datagram, remote, receivedAt);
    } finally {
      handler.endBatch?.();
    }
  };

  private drop(reason: string): void {
    this.counters.increment('dropped', reason);
  }

  private receive(served: Served<Config>, route: ReplyRoute, datagram: Buffer, remote: RemoteInfo, receivedAt: number): void {
    this.counters.increment('received');
    if (remote.port === 0) {
      // RFC 768: a source port of zero means the sender expects no reply, and none can be
      // sent to it (dgram throws ERR_SOCKET_BAD_PORT). Only a spoofer sends one; nothing is
      // decided (no code spent, no failure counted) for a request that cannot be answered.
      this.drop('source-port-zero');
      this.sourceWarnings.warn(`port-zero:${remote.address}`, { source: remote.address }, 'dropped a packet from source port 0, which cannot be answered');
      return;
    }
    const client = served.clients.lookup(remote.address);
    if (client === undefined) {
      this.drop('unknown-client');
      this.sourceWarnings.warn(`unknown:${remote.address}`, { source: remote.address }, 'dropped a packet from an address that is not a configured client');
      return;
    }
    const done = this.pipeline.admit(served, client, datagram, remote, receivedAt, route);
    if (typeof done !== 'object') return;
    this.inFlight++;
    void done.finally(() => this.finished());
  }

  private finished(): void {
    this.inFlight--;
    if (this.inFlight === 0 && this.drained !== undefined) this.drained();
  }

  /**
   * Sends a reply; never throws or rejects. A reply the operating system refuses (at once,
   * as dgram does for a bad port, or later through the callback) is dropped and counted:
   * the NAS retransmits or fails over, as for any lost datagram.
   */
  private send(socket: Socket, remote: RemoteInfo, reply: Buffer): Promise<void> {
    return new Promise((resolve) => {
      const failed = (error: Error): void => {
        this.drop('send-failed');
        this.sourceWarnings.warn(`send:${remote.address}`, { err: error, destination: remote.address, port: remote.port }, 'could not send a reply');
        resolve();
      };
      try {
        socket.send(reply, remote.port, remote.address, (error) => (error ? failed(error) : resolve()));
      } catch (error) {
        failed(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }
}
