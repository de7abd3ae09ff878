import type { TLSSocket } from 'node:tls';
import type { RadsecClientConfig } from '../config/types.js';
import { ReplyCache } from './reply-cache.js';
import type { PacketSource, ReplyRoute, RequestPipeline } from './request-pipeline.js';
import type { RequestHandler, TransportConfig } from './request-handler.js';
import type { Served } from './served-config.js';
import { PacketFramer } from './stream-framing.js';

/**
 * Requests in flight on one connection: the Identifier is one octet (RFC 2865 §3), so a
 * peer can have 256 outstanding; radsecproxy multiplexes many NASes over one connection and
 * fills them (the bis draft's "at least 256"). A peer reusing Identifiers cannot go past it.
 */
export const MAX_IN_FLIGHT_PER_CONNECTION = 256;

/** Why a connection was closed, for the metrics (a bounded set). */
export type CloseReason = 'peer-closed' | 'idle' | 'length-too-small' | 'length-too-large' | 'malformed' | 'unauthentic' | 'partial-packet-timeout' | 'error' | 'stopping';

export interface ConnectionOptions<Config extends TransportConfig> {
  readonly socket: TLSSocket;
  readonly client: RadsecClientConfig;
  readonly pipeline: RequestPipeline<Config>;
  readonly handler: Pick<RequestHandler<Config>, 'beginBatch' | 'endBatch'>;
  /** The configuration in force now (read per packet, as the UDP server reads it per datagram). */
  readonly served: () => Served<Config>;
  readonly idleTimeoutMs: number;
  /** How long a packet may take to arrive whole once begun (slow-loris after the handshake). */
  readonly partialPacketTimeoutMs: number;
  /** How long a stop waits for the peer to close its side after ours, before destroying the socket. */
  readonly endGraceMs: number;
  readonly replyCacheTtlMs: number;
  readonly pendingTtlMs: number;
  /** Counts a packet read, or one dropped here (before the pipeline), by reason. */
  readonly count: (counter: 'received' | 'dropped', reason?: string) => void;
  readonly closed: (reason: CloseReason) => void;
}

/**
 * One RADIUS/TLS connection after its handshake: frames the stream into packets, hands each
 * to the request pipeline with the client the handshake proved, and writes the replies.
 * Duplicate detection is per connection (RFC 6614 §2.5: a retransmission comes on the same
 * connection, or is a new request on a new one).
 */
export class RadsecConnection<Config extends TransportConfig> {
  private readonly framer = new PacketFramer();
  private readonly route: ReplyRoute;
  private readonly source: PacketSource;
  private inFlight = 0;
  private partialTimer: NodeJS.Timeout | undefined;
  private closeReason: CloseReason | undefined;
  private drained: (() => void) | undefined;
  /** Set while a write waits for 'drain': one listener, however many writes were refused. */
  private waitingForDrain = false;

  constructor(private readonly options: ConnectionOptions<Config>) {
    const { socket } = options;
    this.source = { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 };
    this.route = {
      cache: new ReplyCache({ ttlMs: options.replyCacheTtlMs, maxEntries: MAX_IN_FLIGHT_PER_CONNECTION * 4, pendingTtlMs: options.pendingTtlMs }),
      // The connection is the source: the Identifier alone tells requests apart on it.
      cacheKey: (_source, identifier) => String(identifier),
      send: (reply) => this.send(reply),
    };
    socket.setNoDelay(true);
    socket.setTimeout(options.idleTimeoutMs, () => {
      // Idle means nothing read and nothing being answered: a slow reply is not idleness.
      if (this.inFlight === 0) this.close('idle');
    });
    socket.on('data', (chunk: Buffer) => this.read(chunk));
    socket.on('error', () => this.close('error'));
    socket.on('close', () => this.finish(this.closeReason ?? 'peer-closed'));
  }

  get client(): RadsecClientConfig {
    return this.options.client;
  }

  private read(chunk: Buffer): void {
    if (this.closeReason !== undefined) return;
    const packets = this.framer.push(chunk);
    if (typeof packets === 'string') return this.close(packets);
    this.watchPartial(packets.length > 0);
    const { handler } = this.options;
    handler.beginBatch?.();
    try {
      for (const packet of packets) {
        if (this.closeReason !== undefined) break;
        this.admit(packet);
      }
    } finally {
      handler.endBatch?.();
    }
  }

  private admit(bytes: Buffer): void {
    const { count, pipeline, client } = this.options;
    count('received');
    if (this.inFlight >= MAX_IN_FLIGHT_PER_CONNECTION) {
      count('dropped', 'too-many-in-flight');
      return;
    }
    const done = pipeline.admit(this.options.served(), client.radius, bytes, this.source, performance.now(), this.route);
    // RFC 6613 §2.6.4: data that is not RADIUS ends the connection; the stream cannot be trusted.
    if (done === 'malformed') return this.close('malformed');
    // RFC 6613 §2.6.4: a packet that fails the authenticator checks on a stream means the
    // peer does not hold the secret, or the stream is broken: close it, as FreeRADIUS does.
    if (done === 'unauthentic') return this.close('unauthentic');
    if (done === undefined) return;
    this.inFlight++;
    void done.finally(() => {
      this.inFlight--;
      if (this.inFlight === 0) this.drained?.();
    });
  }

  /**
   * A packet begun must arrive whole within the bound: a peer trickling bytes holds nothing
   * long. The bound is per packet: when one completes, the one begun after it gets the whole
   * bound again (a busy proxy's writes often end mid-packet, one after another).
   */
  private watchPartial(completed: boolean): void {
    if (this.framer.pending === 0 || completed) {
      clearTimeout(this.partialTimer);
      this.partialTimer = undefined;
    }
    if (this.framer.pending !== 0) {
      this.partialTimer ??= setTimeout(() => this.close('partial-packet-timeout'), this.options.partialPacketTimeoutMs);
    }
  }

  private send(reply: Buffer): Promise<void> {
    const { socket } = this.options;
    if (socket.destroyed || !socket.writable) return Promise.resolve();
    // A peer that stops reading fills our buffer: stop reading its requests until it drains.
    if (!socket.write(reply) && !this.waitingForDrain) {
      this.waitingForDrain = true;
      socket.pause();
      socket.once('drain', () => {
        this.waitingForDrain = false;
        // A connection being drained for a stop reads nothing more.
        if (this.closeReason === undefined) socket.resume();
      });
    }
    return Promise.resolve();
  }

  /** Closes at once (a broken stream, idleness): requests in flight are abandoned. */
  close(reason: CloseReason): void {
    if (this.closeReason !== undefined) return;
    this.closeReason = reason;
    clearTimeout(this.partialTimer);
    this.options.socket.destroy();
  }

  /** Stops reading, lets the requests in flight be answered, then ends the connection. */
  async drain(): Promise<void> {
    if (this.closeReason !== undefined) return;
    this.options.socket.pause();
    if (this.inFlight > 0) await new Promise<void>((resolve) => (this.drained = resolve));
    this.closeReason = 'stopping';
    clearTimeout(this.partialTimer);
    const { socket } = this.options;
    if (socket.destroyed) return;
    // end() sends our close_notify and FIN, then waits for the peer's: a peer that never
    // answers (or never reads what is queued) would hold the socket, and the stop, forever.
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    const bound = setTimeout(() => socket.destroy(), this.options.endGraceMs);
    socket.end();
    await closed;
    clearTimeout(bound);
  }

  private finish(reason: CloseReason): void {
    clearTimeout(this.partialTimer);
    this.options.closed(reason);
  }
}
