import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { Logger } from 'pino';
import type { ClientConfig } from '../config/types.js';
import { Counters } from '../observability/counters.js';
import { requestAnswered, type RequestAnsweredEvent } from '../observability/events.js';
import { RateLimitedWarning } from '../observability/rate-limited-log.js';
import { describeAttributes } from '../protocol/dictionary/attributes.js';
import { AttributeType, PacketCode, packetCodeName } from '../protocol/codes.js';
import { decodePacket } from '../protocol/decode.js';
import { encodeReply } from '../protocol/encode.js';
import { RadiusError } from '../protocol/errors.js';
import { findAttribute, type RadiusPacket, type RawAttribute } from '../protocol/packet.js';
import { unhideUserPassword } from '../protocol/password.js';
import { encodeReplyAttribute, type ReplyAttribute } from '../protocol/reply-attribute.js';
import { checkRequestAuthenticity } from '../protocol/verify-request.js';
import type { AccessRequest, Answer, RequestHandler, TransportConfig } from './request-handler.js';
import { Deadlines } from './deadlines.js';
import { ReplyCache, replyCacheKey } from './reply-cache.js';
import { ServedConfigs, type Served } from './served-config.js';

export type ServerCounter =
  /** Every datagram read from a socket. */
  | 'received'
  /** Datagrams not answered, labelled with the reason. */
  | 'dropped'
  /** Datagrams that failed decoding, labelled with the RadiusErrorCode. */
  | 'malformed'
  /** Replies sent, labelled with the packet code name. */
  | 'replies'
  /** Retransmissions answered from the reply cache. */
  | 'retransmissions';

/** On stop, how long requests already queued in the sockets are still read. */
const BACKLOG_READ_MS = 250;

/** The longest a reply may be held back (reject delay); FreeRADIUS caps reject_delay at 5 s. */
const MAX_REPLY_DELAY_MS = 5_000;


const RESPONSE_CODES = {
  accept: PacketCode.AccessAccept,
  reject: PacketCode.AccessReject,
  challenge: PacketCode.AccessChallenge,
} as const;

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
  private batch: { socket: Socket; datagram: Buffer; remote: RemoteInfo; receivedAt: number; served: Served<Config> }[] = [];
  private readonly deadlines = new Deadlines();
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
        socket.on('message', (datagram, remote) => this.enqueue(socket, datagram, remote));
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
  private enqueue(socket: Socket, datagram: Buffer, remote: RemoteInfo): void {
    // The reject delay runs from here: arrival, before the batch's earlier requests ran. So
    // does the configuration: a reload handled in the same turn, after the read, does not
    // apply to what was read before it.
    this.batch.push({ socket, datagram, remote, receivedAt: performance.now(), served: this.served.now() });
    if (this.batch.length === 1) setImmediate(this.drainBatch);
  }

  private readonly drainBatch = (): void => {
    const batch = this.batch;
    this.batch = [];
    const handler = this.options.handler;
    handler.beginBatch?.();
    try {
      for (const { socket, datagram, remote, receivedAt, served } of batch) this.receive(served, socket, datagram, remote, receivedAt);
    } finally {
      handler.endBatch?.();
    }
  };

  private drop(reason: string): void {
    this.counters.increment('dropped', reason);
  }

  private receive(served: Served<Config>, socket: Socket, datagram: Buffer, remote: RemoteInfo, receivedAt: number): void {
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
    let packet: RadiusPacket;
    try {
      packet = decodePacket(datagram);
    } catch (error) {
      if (!(error instanceof RadiusError)) throw error;
      this.counters.increment('malformed', error.code);
      this.drop('malformed');
      this.clientWarnings.warn(`malformed:${client.name}:${error.code}`, { client: client.name, source: remote.address, code: error.code, detail: error.message }, 'dropped a malformed packet');
      return;
    }
    if (packet.code !== PacketCode.AccessRequest && packet.code !== PacketCode.StatusServer) {
      // Accounting belongs to another server (SPEC "Resolving a password"); the rest is not ours.
      this.drop(packet.code === PacketCode.AccountingRequest ? 'accounting' : 'unsupported-code');
      this.clientWarnings.warn(`code:${client.name}:${packet.code}`, { client: client.name, code: packetCodeName(packet.code) }, 'dropped a packet of a kind radgate does not serve');
      return;
    }
    const refusal = checkRequestAuthenticity(packet, client.secret, client);
    if (refusal !== undefined) {
      this.drop(refusal);
      this.clientWarnings.warn(`auth:${client.name}:${refusal}`, { client: client.name, source: remote.address, code: refusal }, 'dropped a request that failed the authenticity checks');
      return;
    }
    const overflow = served.replySize.overflow(packet, packet.code === PacketCode.StatusServer);
    if (overflow !== undefined) {
      this.drop('reply-too-large');
      this.clientWarnings.warn(
        `reply-too-large:${client.name}`,
        { client: client.name, source: remote.address, reply_octets: overflow },
        'dropped a request before deciding it: its reply could be longer than a RADIUS packet (4096 octets)',
      );
      return;
    }

    const key = replyCacheKey(remote.address, remote.port, packet.identifier);
    const lookup = this.cache.begin(key, packet.authenticator);
    if (lookup.kind === 'retransmission') {
      this.counters.increment('retransmissions');
      void this.send(socket, remote, lookup.reply);
      return;
    }
    if (lookup.kind === 'in-progress') {
      this.drop('duplicate-in-progress');
      return;
    }
    this.inFlight++;
    void this.respond(served.config, socket, remote, client, packet, key, receivedAt).finally(() => this.finished());
  }

  private finished(): void {
    this.inFlight--;
    if (this.inFlight === 0 && this.drained !== undefined) this.drained();
  }

  private async respond(config: Config, socket: Socket, remote: RemoteInfo, client: ClientConfig, packet: RadiusPacket, key: string, receivedAt: number): Promise<void> {
    const answer = packet.code === PacketCode.StatusServer ? this.statusAnswer() : await this.decide(config, remote, client, packet);
    if (requestAnswered.hasSubscribers) this.publishAnswer(client, packet, answer, receivedAt);
    if (answer.action === 'drop') {
      this.cache.abandon(key, packet.authenticator);
      this.drop(answer.reason);
      return;
    }
    let reply: Buffer;
    try {
      reply = encodeReply({
        code: RESPONSE_CODES[answer.action],
        identifier: packet.identifier,
        requestAuthenticator: packet.authenticator,
        attributes: this.replyAttributes(config, answer.attributes ?? [], client, packet),
        secret: client.secret,
      });
    } catch (error) {
      // A reply profile the dictionary cannot encode is a configuration bug: say so loudly.
      this.cache.abandon(key, packet.authenticator);
      this.drop('encode-error');
      this.options.logger.error({ err: error, client: client.name }, 'could not encode the reply; request dropped');
      return;
    }
    // The delay runs from the request's arrival, not from the decision: every reject then
    // leaves at the same moment after arrival, whatever path the decision took, which hides
    // the differences in work between an unknown user, a wrong PIN and a wrong code.
    const delayMs = Math.min(answer.delayMs ?? 0, MAX_REPLY_DELAY_MS) - (performance.now() - receivedAt);
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    this.cache.complete(key, packet.authenticator, reply);
    this.counters.increment('replies', packetCodeName(reply[0]!));
    // Awaited so that stop() closes the socket only after the datagram has left.
    await this.send(socket, remote, reply);
  }

  private publishAnswer(client: ClientConfig, packet: RadiusPacket, answer: Answer, receivedAt: number): void {
    const dropped = answer.action === 'drop';
    requestAnswered.publish({
      client: client.name,
      code: packetCodeName(packet.code),
      result: dropped ? 'dropped' : answer.action,
      method: dropped ? '' : (answer.method ?? ''),
      reason: answer.reason ?? '',
      seconds: (performance.now() - receivedAt) / 1000,
    } satisfies RequestAnsweredEvent);
  }

  private statusAnswer(): Answer {
    // RFC 5997 §3: Status-Server is answered with Access-Accept; we answer only while the
    // handler (and its store) can really serve, so a NAS probing us fails over otherwise.
    return this.options.handler.isHealthy() ? { action: 'accept' } : { action: 'drop', reason: 'unhealthy' };
  }

  private decide(config: Config, remote: RemoteInfo, client: ClientConfig, packet: RadiusPacket): Promise<Answer> {
    const request: AccessRequest<Config> = {
      config,
      client,
      packet,
      source: remote,
      userName: findAttribute(packet, AttributeType.UserName)?.toString('utf8'),
      password: () => {
        const hidden = findAttribute(packet, AttributeType.UserPassword);
        return hidden === undefined ? undefined : unhideUserPassword(hidden, client.secret, packet.authenticator);
      },
    };
    if (this.options.logger.isLevelEnabled('debug')) {
      this.options.logger.debug(
        { client: client.name, source: remote.address, id: packet.identifier, attributes: describeAttributes(config.dictionary, packet.attributes) },
        'Access-Request',
      );
    }
    return new Promise<Answer>((resolve) => {
      let settled = false;
      const settle = (answer: Answer): void => {
        if (settled) return;
        settled = true;
        this.deadlines.cancel(deadline);
        resolve(answer);
      };
      const deadline = this.deadlines.add(this.initial.requestTimeoutMs, () => settle({ action: 'drop', reason: 'deadline' }));
      try {
        Promise.resolve(this.options.handler.handleAccessRequest(request)).then(settle, (error: unknown) => this.handlerFailed(error, client, settle));
      } catch (error) {
        this.handlerFailed(error, client, settle);
      }
    });
  }

  private handlerFailed(error: unknown, client: ClientConfig, settle: (answer: Answer) => void): void {
    this.options.logger.error({ err: error, client: client.name }, 'request handler failed; request dropped');
    settle({ action: 'drop', reason: 'handler-error' });
  }

  /** Reply attributes from the decision, then every Proxy-State of the request, unmodified and in order (RFC 2865 §5.33). */
  private replyAttributes(config: Config, attributes: readonly ReplyAttribute[], client: ClientConfig, packet: RadiusPacket): RawAttribute[] {
    const encoded: RawAttribute[] = [];
    for (const attribute of attributes) {
      encoded.push(encodeReplyAttribute(config.dictionary, attribute, { secret: client.secret, requestAuthenticator: packet.authenticator }));
    }
    for (const attribute of packet.attributes) {
      if (attribute.type === AttributeType.ProxyState) encoded.push(attribute);
    }
    return encoded;
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
