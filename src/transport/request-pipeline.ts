import type { Logger } from 'pino';
import type { ClientConfig } from '../config/types.js';
import type { Counters } from '../observability/counters.js';
import { requestAnswered, type RequestAnsweredEvent } from '../observability/events.js';
import type { RateLimitedWarning } from '../observability/rate-limited-log.js';
import { describeAttributes } from '../protocol/dictionary/attributes.js';
import { AttributeType, PacketCode, packetCodeName } from '../protocol/codes.js';
import { decodePacket } from '../protocol/decode.js';
import { encodeReply } from '../protocol/encode.js';
import { RadiusError } from '../protocol/errors.js';
import { findAttribute, type RadiusPacket, type RawAttribute } from '../protocol/packet.js';
import { unhideUserPassword } from '../protocol/password.js';
import { encodeReplyAttribute, type ReplyAttribute } from '../protocol/reply-attribute.js';
import { checkRequestAuthenticity } from '../protocol/verify-request.js';
import { Deadlines } from './deadlines.js';
import type { ReplyCache } from './reply-cache.js';
import type { AccessRequest, Answer, RequestHandler, TransportConfig } from './request-handler.js';
import type { Served } from './served-config.js';

export type ServerCounter =
  /** Every datagram (UDP) or framed packet (TLS) read. */
  | 'received'
  /** Packets not answered, labelled with the reason. */
  | 'dropped'
  /** Packets that failed decoding, labelled with the RadiusErrorCode. */
  | 'malformed'
  /** Replies sent, labelled with the packet code name. */
  | 'replies'
  /** Retransmissions answered from the reply cache. */
  | 'retransmissions';

/** The longest a reply may be held back (reject delay); FreeRADIUS caps reject_delay at 5 s. */
export const MAX_REPLY_DELAY_MS = 5_000;

const RESPONSE_CODES = {
  accept: PacketCode.AccessAccept,
  reject: PacketCode.AccessReject,
  challenge: PacketCode.AccessChallenge,
} as const;

export interface PipelineOptions<Config extends TransportConfig> {
  readonly handler: RequestHandler<Config>;
  readonly logger: Logger;
  readonly counters: Counters<ServerCounter>;
  /** Warnings about what configured clients sent, keyed by client and reason. */
  readonly warnings: RateLimitedWarning;
  /** The request deadline, fixed at start like the reply cache. */
  readonly requestTimeoutMs: number;
  /** Which transport the requests came by, for the metrics: `udp` or `radsec`. */
  readonly transport: RequestAnsweredEvent['transport'];
}

/** Where a packet came from: a UDP datagram's RemoteInfo, or a TLS connection's peer. */
export interface PacketSource {
  readonly address: string;
  readonly port: number;
}

/**
 * How one listener (a UDP socket, a TLS connection) answers: made once per listener, not
 * per packet, so that the UDP hot path allocates nothing for a packet before its checks.
 */
export interface ReplyRoute {
  /** Where duplicates are found: the UDP server's one cache, or a TLS connection's own. */
  readonly cache: ReplyCache;
  /** The cache key of a packet's Identifier (RFC 5080 §2.2.2: source and Identifier); asked only for a packet that passed the checks. */
  cacheKey(source: PacketSource, identifier: number): string;
  /** Sends a reply to `source`; never rejects. */
  send(reply: Buffer, source: PacketSource): Promise<void>;
}

/**
 * What every transport does with a packet once it knows the client: decode it, check it
 * (packet kind, Message-Authenticator rules, reply size), deduplicate it, ask the handler,
 * encode and send the reply after any reject delay. UDP (server.ts) and TLS
 * (radsec-server.ts) differ only in how bytes arrive and who the client is.
 */
export class RequestPipeline<Config extends TransportConfig> {
  private readonly deadlines = new Deadlines();

  constructor(private readonly options: PipelineOptions<Config>) {}

  private drop(reason: string): void {
    this.options.counters.increment('dropped', reason);
  }

  /**
   * Admits one packet. Resolves once it is answered (or dropped after its decision);
   * undefined when it was dropped at once; `malformed` when it did not decode, and
   * `unauthentic` when it failed the Request/Message-Authenticator checks, which a stream
   * transport answers by closing the connection (RFC 6613 §2.6.4); UDP drops them silently.
   */
  admit(served: Served<Config>, client: ClientConfig, bytes: Buffer, source: PacketSource, receivedAt: number, route: ReplyRoute): Promise<void> | 'malformed' | 'unauthentic' | undefined {
    const { counters, warnings } = this.options;
    let packet: RadiusPacket;
    try {
      packet = decodePacket(bytes);
    } catch (error) {
      if (!(error instanceof RadiusError)) throw error;
      counters.increment('malformed', error.code);
      this.drop('malformed');
      warnings.warn(`malformed:${client.name}:${error.code}`, { client: client.name, source: source.address, code: error.code, detail: error.message }, 'dropped a malformed packet');
      return 'malformed';
    }
    if (packet.code !== PacketCode.AccessRequest && packet.code !== PacketCode.StatusServer) {
      // Accounting belongs to another server (SPEC "Resolving a password"); the rest is not ours.
      this.drop(packet.code === PacketCode.AccountingRequest ? 'accounting' : 'unsupported-code');
      warnings.warn(`code:${client.name}:${packet.code}`, { client: client.name, code: packetCodeName(packet.code) }, 'dropped a packet of a kind radgate does not serve');
      return undefined;
    }
    const refusal = checkRequestAuthenticity(packet, client.secret, client);
    if (refusal !== undefined) {
      this.drop(refusal);
      warnings.warn(`auth:${client.name}:${refusal}`, { client: client.name, source: source.address, code: refusal }, 'dropped a request that failed the authenticity checks');
      return 'unauthentic';
    }
    const overflow = served.replySize.overflow(packet, packet.code === PacketCode.StatusServer);
    if (overflow !== undefined) {
      this.drop('reply-too-large');
      warnings.warn(
        `reply-too-large:${client.name}`,
        { client: client.name, source: source.address, reply_octets: overflow },
        'dropped a request before deciding it: its reply could be longer than a RADIUS packet (4096 octets)',
      );
      return undefined;
    }
    // Only now, past every check: a dropped packet costs no key.
    const cacheKey = route.cacheKey(source, packet.identifier);
    const lookup = route.cache.begin(cacheKey, packet.authenticator);
    if (lookup.kind === 'retransmission') {
      counters.increment('retransmissions');
      void route.send(lookup.reply, source);
      return undefined;
    }
    if (lookup.kind === 'in-progress') {
      this.drop('duplicate-in-progress');
      return undefined;
    }
    return this.respond(served, client, source, receivedAt, route, cacheKey, packet);
  }

  private async respond(served: Served<Config>, client: ClientConfig, source: PacketSource, receivedAt: number, route: ReplyRoute, cacheKey: string, packet: RadiusPacket): Promise<void> {
    const { cache } = route;
    const config = served.config;
    const answer = packet.code === PacketCode.StatusServer ? this.statusAnswer() : await this.decide(config, source, client, packet);
    if (requestAnswered.hasSubscribers) this.publishAnswer(client, packet, answer, receivedAt);
    if (answer.action === 'drop') {
      cache.abandon(cacheKey, packet.authenticator);
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
      cache.abandon(cacheKey, packet.authenticator);
      this.drop('encode-error');
      this.options.logger.error({ err: error, client: client.name }, 'could not encode the reply; request dropped');
      return;
    }
    // The delay runs from the request's arrival, not from the decision: every reject then
    // leaves at the same moment after arrival, whatever path the decision took, which hides
    // the differences in work between an unknown user, a wrong PIN and a wrong code.
    const delayMs = Math.min(answer.delayMs ?? 0, MAX_REPLY_DELAY_MS) - (performance.now() - receivedAt);
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    cache.complete(cacheKey, packet.authenticator, reply);
    this.options.counters.increment('replies', packetCodeName(reply[0]!));
    // Awaited so that a stop closes the socket only after the reply has left.
    await route.send(reply, source);
  }

  private publishAnswer(client: ClientConfig, packet: RadiusPacket, answer: Answer, receivedAt: number): void {
    const dropped = answer.action === 'drop';
    requestAnswered.publish({
      transport: this.options.transport,
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

  private decide(config: Config, source: PacketSource, client: ClientConfig, packet: RadiusPacket): Promise<Answer> {
    const request: AccessRequest<Config> = {
      config,
      client,
      packet,
      source,
      userName: findAttribute(packet, AttributeType.UserName)?.toString('utf8'),
      password: () => {
        const hidden = findAttribute(packet, AttributeType.UserPassword);
        return hidden === undefined ? undefined : unhideUserPassword(hidden, client.secret, packet.authenticator);
      },
    };
    if (this.options.logger.isLevelEnabled('debug')) {
      this.options.logger.debug(
        { client: client.name, source: source.address, id: packet.identifier, attributes: describeAttributes(config.dictionary, packet.attributes) },
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
      const deadline = this.deadlines.add(this.options.requestTimeoutMs, () => settle({ action: 'drop', reason: 'deadline' }));
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
}
