/**
 * A NAS stand-in for fault tests, the soak and the timing script: it sends PAP
 * Access-Requests and, like a real NAS, retransmits the very same bytes (same source port,
 * Identifier and Request Authenticator) when no reply came within `retransmitMs`, up to
 * `transmissions` times in all (RFC 5080 §2.2.1). Every request is one {@link Exchange}:
 * the fault tests count outcomes per exchange, so a retransmission answered from the reply
 * cache (or from the decision stored in Redis) is one answer, not two.
 *
 * Replies are decoded strictly and accepted only when their Response Authenticator and
 * Message-Authenticator verify against the request they answer: a late reply to an
 * abandoned request whose Identifier was since reused can never be taken for the newer
 * request's answer.
 */
import { createSocket, type Socket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import {
  AttributeType,
  decodePacket,
  encodeRequest,
  hideUserPassword,
  PacketCode,
  randomAuthenticator,
  verifyMessageAuthenticator,
  verifyResponseAuthenticator,
  type RadiusPacket,
  type RawAttribute,
} from '../../src/protocol/index.js';

export interface NasOptions {
  readonly host: string;
  readonly port: number;
  readonly secret: Buffer;
  /** UDP sockets (each with its own 256 Identifiers); default 8. */
  readonly sockets?: number;
  /** Wait this long for a reply before sending the same bytes again; default 1000 ms. */
  readonly retransmitMs?: number;
  /** Transmissions per request, the first included; default 3. After the last, wait `retransmitMs` once more. */
  readonly transmissions?: number;
}

export interface RequestSpec {
  readonly userName: string;
  readonly password: string;
  /** Added after User-Name and User-Password (Proxy-State, NAS-Identifier, …). */
  readonly attributes?: readonly RawAttribute[];
}

export interface Reply {
  readonly code: number;
  /** Date.now() when the reply arrived (to place it on a fault timeline). */
  readonly at: number;
  /** Since the first transmission, in ms (performance.now, sub-millisecond). */
  readonly roundTripMs: number;
  /** Which transmission was outstanding when it came (1 = the first). */
  readonly transmission: number;
}

/** One request as the NAS sees it: sent once or retransmitted, answered at most once. */
export interface Exchange<Tag> {
  readonly tag: Tag;
  /** Date.now() of the first transmission. */
  readonly sentAt: number;
  transmissions: number;
  reply: Reply | undefined;
}

interface Outstanding {
  readonly exchange: Exchange<unknown>;
  readonly bytes: Buffer;
  readonly authenticator: Buffer;
  readonly started: number;
  timer: NodeJS.Timeout | undefined;
  readonly done: () => void;
}

interface Port {
  readonly socket: Socket;
  readonly free: number[];
  readonly outstanding: (Outstanding | undefined)[];
}

export class Nas {
  /**
   * Datagrams that did not decode or verify against any outstanding request, a second
   * answer to a request already answered included (its Identifier is no longer outstanding).
   */
  strayReplies = 0;
  private readonly ports: Port[] = [];
  private readonly waitingForIdentifier: (() => void)[] = [];
  private next = 0;
  private readonly retransmitMs: number;
  private readonly transmissions: number;

  private constructor(private readonly options: NasOptions) {
    this.retransmitMs = options.retransmitMs ?? 1000;
    this.transmissions = options.transmissions ?? 3;
  }

  static async open(options: NasOptions): Promise<Nas> {
    const nas = new Nas(options);
    for (let i = 0; i < (options.sockets ?? 8); i++) {
      const socket = createSocket('udp4');
      const port: Port = { socket, free: Array.from({ length: 256 }, (_, id) => id), outstanding: new Array(256).fill(undefined) };
      socket.on('message', (datagram) => nas.receive(port, datagram));
      await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
      nas.ports.push(port);
    }
    return nas;
  }

  /**
   * Sends one Access-Request; resolves once it is answered or every transmission went
   * unanswered. The first transmission happens before this returns whenever an Identifier
   * is free (otherwise as soon as one is), so a caller can order it against other events.
   */
  request<Tag>(spec: RequestSpec, tag: Tag): Promise<Exchange<Tag>> {
    return new Promise((resolve) => {
      const start = (port: Port, identifier: number): void => {
        const authenticator = randomAuthenticator();
        const attributes: RawAttribute[] = [
          { type: AttributeType.UserName, value: Buffer.from(spec.userName) },
          { type: AttributeType.UserPassword, value: hideUserPassword(Buffer.from(spec.password), this.options.secret, authenticator) },
          ...(spec.attributes ?? []),
        ];
        const bytes = encodeRequest({ code: PacketCode.AccessRequest, identifier, authenticator, attributes, secret: this.options.secret, messageAuthenticator: true });
        const exchange: Exchange<Tag> = { tag, sentAt: Date.now(), transmissions: 0, reply: undefined };
        const entry: Outstanding = {
          exchange,
          bytes,
          authenticator,
          started: performance.now(),
          timer: undefined,
          done: () => {
            clearTimeout(entry.timer);
            port.outstanding[identifier] = undefined;
            port.free.push(identifier);
            resolve(exchange);
            this.waitingForIdentifier.shift()?.();
          },
        };
        port.outstanding[identifier] = entry;
        this.transmit(port, entry);
      };
      const attempt = (): void => {
        const free = this.takeIdentifier();
        if (free === undefined) this.waitingForIdentifier.push(attempt);
        else start(free.port, free.identifier);
      };
      attempt();
    });
  }

  close(): void {
    for (const port of this.ports) {
      for (const entry of port.outstanding) entry?.done();
      port.socket.close();
    }
  }

  private transmit(port: Port, entry: Outstanding): void {
    entry.exchange.transmissions++;
    port.socket.send(entry.bytes, this.options.port, this.options.host);
    entry.timer = setTimeout(() => {
      if (entry.exchange.transmissions < this.transmissions) this.transmit(port, entry);
      else entry.done();
    }, this.retransmitMs);
  }

  private takeIdentifier(): { port: Port; identifier: number } | undefined {
    // Round robin over the sockets, so load spreads and Identifiers rest between uses.
    for (let tried = 0; tried < this.ports.length; tried++) {
      const port = this.ports[this.next++ % this.ports.length]!;
      const identifier = port.free.shift();
      if (identifier !== undefined) return { port, identifier };
    }
    return undefined;
  }

  private receive(port: Port, datagram: Buffer): void {
    const entry = datagram.length >= 20 ? port.outstanding[datagram[1]!] : undefined;
    let packet: RadiusPacket;
    try {
      packet = decodePacket(datagram);
    } catch {
      this.strayReplies++;
      return;
    }
    if (
      entry === undefined ||
      !verifyResponseAuthenticator(packet, entry.authenticator, this.options.secret) ||
      !verifyMessageAuthenticator(packet, this.options.secret, entry.authenticator)
    ) {
      this.strayReplies++;
      return;
    }
    entry.exchange.reply = {
      code: packet.code,
      at: Date.now(),
      roundTripMs: performance.now() - entry.started,
      transmission: entry.exchange.transmissions,
    };
    entry.done();
  }
}

/**
 * Calls `send` at an even `perSecond` rate until `stop()` returns true, catching up after a
 * late timer tick rather than drifting below the rate (an open loop, as many NASes are:
 * users do not wait for each other).
 */
export async function paced(perSecond: number, stop: () => boolean, send: (index: number) => void): Promise<number> {
  const started = performance.now();
  let sent = 0;
  while (!stop()) {
    const due = Math.floor(((performance.now() - started) * perSecond) / 1000);
    while (sent < due && !stop()) send(sent++);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return sent;
}

export const replyName = (code: number | undefined): string =>
  code === PacketCode.AccessAccept ? 'accept' : code === PacketCode.AccessReject ? 'reject' : code === PacketCode.AccessChallenge ? 'challenge' : code === undefined ? 'none' : `code ${code}`;
