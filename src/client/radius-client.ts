import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { performance } from 'node:perf_hooks';
import { AttributeType, PacketCode } from '../protocol/codes.js';
import { encodeRequest } from '../protocol/encode.js';
import type { RadiusPacket, RawAttribute } from '../protocol/packet.js';
import { hideUserPassword } from '../protocol/password.js';
import { Deadlines } from '../transport/deadlines.js';
import { AuthenticatorPool } from './authenticator-pool.js';
import { IdentifierPool } from './identifier-pool.js';
import { checkReply } from './reply-check.js';

export interface RadiusClientOptions {
  readonly host: string;
  readonly port: number;
  readonly secret: Buffer;
  /** UDP sockets (source ports), each with its own 256 Identifiers (default 1). */
  readonly sockets?: number;
  /** The address to send from (default any), e.g. 127.0.0.2 to stand in for a second NAS. */
  readonly localAddress?: string;
  /** How long to wait for a reply before sending the same bytes again (default 3000 ms). */
  readonly retransmitMs?: number;
  /** Transmissions per request, the first included (default 3). */
  readonly transmissions?: number;
  /**
   * After the first reply, the Identifier stays reserved this long and later replies (to
   * earlier transmissions) are recorded in `lateReplies` (default 0: released at once).
   */
  readonly lingerMs?: number;
  /**
   * After the last transmission went unanswered, the Identifier rests this long before
   * reuse, so a late reply cannot be taken for a newer request's (default: retransmitMs).
   */
  readonly quarantineMs?: number;
  /** Believe a reply only with a valid Message-Authenticator (default true; FreeRADIUS 3.2.1 sends none). */
  readonly requireMessageAuthenticator?: boolean;
}

/** One request: a PAP Access-Request, or a Status-Server (RFC 5997). */
export type ClientRequest =
  | { readonly kind: 'access'; readonly userName: string | Buffer; readonly password: string | Buffer; readonly attributes?: readonly RawAttribute[] }
  | { readonly kind: 'status' };

export interface Reply {
  readonly packet: RadiusPacket;
  readonly code: number;
  /** Date.now() when it arrived (to place it on a fault timeline). */
  readonly at: number;
  /** Since the first transmission, in ms (performance.now, sub-millisecond). */
  readonly roundTripMs: number;
  /** Which transmission was the latest when it came (1 = the first). */
  readonly transmission: number;
}

/** One request as the NAS sees it: sent once or retransmitted, answered or not. */
export interface Exchange {
  /** Date.now() of the first transmission. */
  readonly sentAt: number;
  readonly transmissions: number;
  /** The first verified reply; undefined when every transmission went unanswered. */
  readonly reply: Reply | undefined;
  /** Verified replies after the first, or after giving up, while the Identifier was reserved. */
  readonly lateReplies: readonly Reply[];
}

interface MutableExchange {
  sentAt: number;
  transmissions: number;
  reply: Reply | undefined;
  lateReplies: Reply[];
}

interface Port {
  readonly socket: Socket;
  readonly ids: IdentifierPool;
  readonly outstanding: (Outstanding | undefined)[];
}

/** A request waiting for a free Identifier. */
interface Waiting {
  readonly request: ClientRequest;
  readonly onAnswered: (exchange: Exchange) => void;
  readonly onSettled: ((exchange: Exchange) => void) | undefined;
}

interface Outstanding {
  readonly port: Port;
  readonly identifier: number;
  readonly bytes: Buffer;
  readonly authenticator: Buffer;
  readonly exchange: MutableExchange;
  started: number;
  /** The retransmission timer, then the linger or quarantine timer, and which of the three it is in. */
  timer: number | undefined;
  timerIn: Deadlines | undefined;
  answered: boolean;
  readonly onAnswered: (exchange: Exchange) => void;
  readonly onSettled: ((exchange: Exchange) => void) | undefined;
}

/**
 * The NAS side of RADIUS, written once and used by `radgate test`, the benchmark's load
 * generator, the reliability scripts and the tests. Each request gets a free Identifier of
 * one of its sockets and a fresh random Request Authenticator; it is retransmitted as the
 * very same bytes until answered or out of transmissions (RFC 5080 §2.2.1); a reply counts
 * only if it verifies against the request it answers (reply-check.ts), so a late reply to
 * an abandoned request can never be taken for a newer one's. Many requests may be in
 * flight; when every Identifier is taken, requests wait for one in order.
 *
 * A reply to a request whose Identifier is no longer reserved (after its linger or
 * quarantine) cannot be told from a stray datagram, and is counted as one.
 */
export class RadiusClient {
  /**
   * Datagrams that answer no request of this client: they did not verify against the
   * request whose Identifier they carry, or came when that Identifier was free again.
   */
  strayReplies = 0;
  /** Sends the operating system refused (an ICMP port unreachable, for one). */
  sendErrors = 0;
  private readonly ports: Port[] = [];
  private readonly waitingForIdentifier: Waiting[] = [];
  private readonly retransmissions = new Deadlines();
  private readonly lingering = new Deadlines();
  private readonly quarantined = new Deadlines();
  private readonly authenticators = new AuthenticatorPool();
  private next = 0;
  private outstandingCount = 0;
  private readonly retransmitMs: number;
  private readonly transmissions: number;
  private readonly requireMessageAuthenticator: boolean;

  private constructor(private readonly options: RadiusClientOptions) {
    this.retransmitMs = options.retransmitMs ?? 3000;
    this.transmissions = options.transmissions ?? 3;
    this.requireMessageAuthenticator = options.requireMessageAuthenticator ?? true;
  }

  static async open(options: RadiusClientOptions): Promise<RadiusClient> {
    const client = new RadiusClient(options);
    try {
      for (let i = 0; i < (options.sockets ?? 1); i++) client.ports.push(await client.openPort());
    } catch (error) {
      await client.close();
      throw error;
    }
    return client;
  }

  private async openPort(): Promise<Port> {
    const { host, port: serverPort, localAddress } = this.options;
    const socket = createSocket(isIPv6(host) ? 'udp6' : 'udp4');
    const port: Port = { socket, ids: new IdentifierPool(), outstanding: new Array<Outstanding | undefined>(256).fill(undefined) };
    // Without a send callback Node may complete a send synchronously; failures then arrive
    // here (e.g. ECONNREFUSED after an ICMP port unreachable).
    socket.on('error', () => this.sendErrors++);
    socket.on('message', (datagram: Buffer) => this.receive(port, datagram));
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, localAddress, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    // Connected: send() skips the per-datagram address lookup, and the kernel delivers only
    // the server's datagrams to us. A host that does not resolve fails here, clearly.
    await new Promise<void>((resolve, reject) => {
      const failed = (error: Error): void => reject(new Error(`cannot send to ${host}:${serverPort}: ${(error as NodeJS.ErrnoException).code ?? error.message}`));
      socket.once('error', failed);
      socket.connect(serverPort, host, (error?: Error) => {
        socket.off('error', failed);
        if (error !== undefined && error !== null) failed(error);
        else resolve();
      });
    });
    // Replies can come in bursts of many datagrams; a larger buffer keeps a pause in this
    // process (GC) from dropping them.
    socket.setRecvBufferSize(4 * 1024 * 1024);
    return port;
  }

  /** Requests sent and not yet settled, and requests waiting for an Identifier. */
  get inFlight(): number {
    return this.outstandingCount + this.waitingForIdentifier.length;
  }

  /** Requests waiting for an Identifier: every one of every socket is reserved. */
  get waiting(): number {
    return this.waitingForIdentifier.length;
  }

  /** Sends a request; resolves at its first verified reply, or once every transmission went unanswered. */
  send(spec: ClientRequest): Promise<Exchange> {
    return new Promise((resolve) => this.request(spec, resolve));
  }

  /** Like send, but resolves once no reply to the request can be recorded any more (after linger or quarantine). */
  sendAndSettle(spec: ClientRequest): Promise<Exchange> {
    return new Promise((resolve) => this.request(spec, () => undefined, resolve));
  }

  accessRequest(userName: string, password: string, attributes: readonly RawAttribute[] = []): Promise<Exchange> {
    return this.send({ kind: 'access', userName, password, attributes });
  }

  statusServer(): Promise<Exchange> {
    return this.send({ kind: 'status' });
  }

  /**
   * The callback form of send (the load generator's, which keeps thousands in flight).
   * The first transmission happens before this returns whenever an Identifier is free.
   */
  request(request: ClientRequest, onAnswered: (exchange: Exchange) => void, onSettled?: (exchange: Exchange) => void): void {
    const taken = this.takeIdentifier();
    if (taken === undefined) this.waitingForIdentifier.push({ request, onAnswered, onSettled });
    else this.start(taken.port, taken.identifier, { request, onAnswered, onSettled });
  }

  private start(port: Port, identifier: number, { request, onAnswered, onSettled }: Waiting): void {
    const authenticator = this.authenticators.next();
    const { secret } = this.options;
    const attributes: RawAttribute[] =
      request.kind === 'status'
        ? []
        : [
            { type: AttributeType.UserName, value: typeof request.userName === 'string' ? Buffer.from(request.userName, 'utf8') : request.userName },
            { type: AttributeType.UserPassword, value: hideUserPassword(typeof request.password === 'string' ? Buffer.from(request.password, 'utf8') : request.password, secret, authenticator) },
            ...(request.attributes ?? []),
          ];
    const code = request.kind === 'status' ? PacketCode.StatusServer : PacketCode.AccessRequest;
    const bytes = encodeRequest({ code, identifier, authenticator, attributes, secret, messageAuthenticator: true });
    const entry: Outstanding = {
      port,
      identifier,
      bytes,
      authenticator: bytes.subarray(4, 20),
      exchange: { sentAt: Date.now(), transmissions: 0, reply: undefined, lateReplies: [] },
      started: performance.now(),
      timer: undefined,
      timerIn: undefined,
      answered: false,
      onAnswered,
      onSettled,
    };
    port.outstanding[identifier] = entry;
    this.outstandingCount++;
    this.transmit(entry);
  }

  private transmit(entry: Outstanding): void {
    entry.exchange.transmissions++;
    try {
      entry.port.socket.send(entry.bytes);
    } catch {
      // A closed socket: this transmission is lost, as on a network; the timer goes on.
      this.sendErrors++;
    }
    this.schedule(entry, this.retransmissions, this.retransmitMs, () => {
      if (entry.exchange.transmissions < this.transmissions) this.transmit(entry);
      else this.giveUp(entry);
    });
  }

  private giveUp(entry: Outstanding): void {
    entry.answered = true;
    entry.onAnswered(entry.exchange);
    const quarantineMs = this.options.quarantineMs ?? this.retransmitMs;
    if (quarantineMs <= 0) this.settle(entry);
    else this.schedule(entry, this.quarantined, quarantineMs, () => this.settle(entry));
  }

  private schedule(entry: Outstanding, deadlines: Deadlines, ms: number, expire: () => void): void {
    entry.timerIn = deadlines;
    entry.timer = deadlines.add(ms, () => {
      entry.timerIn = undefined;
      expire();
    });
  }

  private cancelTimer(entry: Outstanding): void {
    if (entry.timerIn !== undefined) entry.timerIn.cancel(entry.timer!);
    entry.timerIn = undefined;
  }

  private settle(entry: Outstanding): void {
    const { port, identifier } = entry;
    if (port.outstanding[identifier] !== entry) return;
    port.outstanding[identifier] = undefined;
    port.ids.release(identifier);
    this.outstandingCount--;
    entry.onSettled?.(entry.exchange);
    const next = this.waitingForIdentifier.shift();
    if (next !== undefined) this.start(port, port.ids.take()!, next);
  }

  private takeIdentifier(): { port: Port; identifier: number } | undefined {
    // Round robin over the sockets, so load spreads and Identifiers rest between uses.
    for (let tried = 0; tried < this.ports.length; tried++) {
      const port = this.ports[this.next++ % this.ports.length]!;
      const identifier = port.ids.take();
      if (identifier !== undefined) return { port, identifier };
    }
    return undefined;
  }

  private receive(port: Port, datagram: Buffer): void {
    const entry = datagram.length >= 20 ? port.outstanding[datagram[1]!] : undefined;
    if (entry === undefined) {
      this.strayReplies++;
      return;
    }
    const packet = checkReply(datagram, entry, this.options.secret, this.requireMessageAuthenticator);
    if (packet === undefined) {
      this.strayReplies++;
      return;
    }
    const reply: Reply = { packet, code: packet.code, at: Date.now(), roundTripMs: performance.now() - entry.started, transmission: entry.exchange.transmissions };
    if (entry.answered) {
      entry.exchange.lateReplies.push(reply);
      return;
    }
    entry.answered = true;
    entry.exchange.reply = reply;
    this.cancelTimer(entry);
    entry.onAnswered(entry.exchange);
    const lingerMs = this.options.lingerMs ?? 0;
    if (lingerMs <= 0) this.settle(entry);
    else this.schedule(entry, this.lingering, lingerMs, () => this.settle(entry));
  }

  /** Gives up every request still in flight (they resolve unanswered) and closes the sockets. */
  async close(): Promise<void> {
    // Never sent: given up at once, like the ones in flight below.
    for (const { onAnswered, onSettled } of this.waitingForIdentifier.splice(0)) {
      const exchange: Exchange = { sentAt: Date.now(), transmissions: 0, reply: undefined, lateReplies: [] };
      onAnswered(exchange);
      onSettled?.(exchange);
    }
    for (const port of this.ports) {
      for (const entry of port.outstanding) {
        if (entry === undefined) continue;
        this.cancelTimer(entry);
        if (!entry.answered) {
          entry.answered = true;
          entry.onAnswered(entry.exchange);
        }
        this.settle(entry);
      }
    }
    await Promise.all(this.ports.map(({ socket }) => new Promise<void>((resolve) => socket.close(() => resolve()))));
    this.ports.length = 0;
  }
}
