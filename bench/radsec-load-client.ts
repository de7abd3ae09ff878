/**
 * The load generator's client for RADIUS over TLS (RFC 6614): the same requests, checks and
 * Identifier rules as src/client's RadiusClient over UDP — a fresh Request Authenticator per
 * request, a Message-Authenticator in every request, a reply believed only after
 * checkReply — but on a few long-lived TLS connections, each with its own Identifier space
 * (§2.5: the Identifier is per connection), packets framed by their Length field (§2.3),
 * and the secret `radsec`. Only what runLoad uses: `request`, `waiting`, the stray and
 * send-error counts, `close`. Nothing is retransmitted: TCP does that (§2.5).
 */
import { connect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { performance } from 'node:perf_hooks';
import { AuthenticatorPool } from '../src/client/authenticator-pool.js';
import { IdentifierPool } from '../src/client/identifier-pool.js';
import type { ClientRequest, Exchange } from '../src/client/radius-client.js';
import { checkReply } from '../src/client/reply-check.js';
import { AttributeType, PacketCode } from '../src/protocol/codes.js';
import { encodeRequest } from '../src/protocol/encode.js';
import { hideUserPassword } from '../src/protocol/password.js';
import { Deadlines } from '../src/transport/deadlines.js';

export interface RadsecLoadOptions {
  readonly host: string;
  readonly port: number;
  /** RFC 6614 §2.3: `radsec`. */
  readonly secret: Buffer;
  readonly connections: number;
  /** The client certificate (or PSK) and what to trust. */
  readonly tls: ConnectionOptions;
  readonly timeoutMs: number;
}

interface Pending {
  readonly identifier: number;
  readonly authenticator: Buffer;
  readonly started: number;
  readonly sentAt: number;
  readonly timer: number;
  readonly onAnswered: (exchange: Exchange) => void;
}

interface Connection {
  readonly socket: TLSSocket;
  readonly ids: IdentifierPool;
  readonly pending: (Pending | undefined)[];
  buffered: Buffer;
}

export class RadsecLoadClient {
  strayReplies = 0;
  sendErrors = 0;
  private readonly waitingForIdentifier: { request: ClientRequest; onAnswered: (exchange: Exchange) => void }[] = [];
  private readonly timeouts = new Deadlines();
  private readonly authenticators = new AuthenticatorPool();
  private next = 0;

  private constructor(
    private readonly options: RadsecLoadOptions,
    private readonly connections: Connection[],
  ) {}

  static async open(options: RadsecLoadOptions): Promise<RadsecLoadClient> {
    const sockets = await Promise.all(
      Array.from(
        { length: options.connections },
        () =>
          new Promise<TLSSocket>((resolve, reject) => {
            const socket = connect({ host: options.host, port: options.port, ...options.tls });
            socket.once('secureConnect', () => resolve(socket));
            socket.once('error', reject);
          }),
      ),
    );
    const connections = sockets.map((socket) => ({ socket, ids: new IdentifierPool(), pending: new Array<Pending | undefined>(256).fill(undefined), buffered: Buffer.alloc(0) }));
    const client = new RadsecLoadClient(options, connections);
    for (const connection of connections) {
      connection.socket.setNoDelay(true);
      connection.socket.on('data', (chunk: Buffer) => client.receive(connection, chunk));
      connection.socket.on('error', () => client.sendErrors++);
    }
    return client;
  }

  get waiting(): number {
    return this.waitingForIdentifier.length;
  }

  request(request: ClientRequest, onAnswered: (exchange: Exchange) => void): void {
    for (let tried = 0; tried < this.connections.length; tried++) {
      const connection = this.connections[this.next++ % this.connections.length]!;
      const identifier = connection.ids.take();
      if (identifier !== undefined) return this.start(connection, identifier, request, onAnswered);
    }
    this.waitingForIdentifier.push({ request, onAnswered });
  }

  private start(connection: Connection, identifier: number, request: ClientRequest, onAnswered: (exchange: Exchange) => void): void {
    const { secret } = this.options;
    const authenticator = this.authenticators.next();
    const attributes =
      request.kind === 'status'
        ? []
        : [
            { type: AttributeType.UserName, value: Buffer.from(request.userName) },
            { type: AttributeType.UserPassword, value: hideUserPassword(Buffer.from(request.password), secret, authenticator) },
            ...(request.attributes ?? []),
          ];
    const code = request.kind === 'status' ? PacketCode.StatusServer : PacketCode.AccessRequest;
    const bytes = encodeRequest({ code, identifier, authenticator, attributes, secret, messageAuthenticator: true });
    const timer = this.timeouts.add(this.options.timeoutMs, () => this.finish(connection, identifier, undefined));
    connection.pending[identifier] = { identifier, authenticator: bytes.subarray(4, 20), started: performance.now(), sentAt: Date.now(), timer, onAnswered };
    connection.socket.write(bytes);
  }

  private receive(connection: Connection, chunk: Buffer): void {
    connection.buffered = connection.buffered.length === 0 ? chunk : Buffer.concat([connection.buffered, chunk]);
    // RFC 6614 §2.3: packets follow each other on the stream, each as long as its Length.
    while (connection.buffered.length >= 4) {
      const length = connection.buffered.readUInt16BE(2);
      if (length < 20 || connection.buffered.length < length) break;
      const packet = connection.buffered.subarray(0, length);
      connection.buffered = connection.buffered.subarray(length);
      const entry = connection.pending[packet[1]!];
      const reply = entry === undefined ? undefined : checkReply(packet, entry, this.options.secret, true);
      if (entry === undefined || reply === undefined) {
        this.strayReplies++;
        continue;
      }
      this.timeouts.cancel(entry.timer);
      this.finish(connection, entry.identifier, { packet: reply, code: reply.code, at: Date.now(), roundTripMs: performance.now() - entry.started, transmission: 1 });
    }
  }

  private finish(connection: Connection, identifier: number, reply: Exchange['reply']): void {
    const entry = connection.pending[identifier];
    if (entry === undefined) return;
    connection.pending[identifier] = undefined;
    // A timed-out Identifier is not reused on this connection: its late reply would be taken for another's.
    if (reply !== undefined) connection.ids.release(identifier);
    entry.onAnswered({ sentAt: entry.sentAt, transmissions: 1, reply, lateReplies: [] });
    const waiting = this.waitingForIdentifier.shift();
    if (waiting !== undefined) this.request(waiting.request, waiting.onAnswered);
  }

  async close(): Promise<void> {
    await Promise.all(this.connections.map((connection) => new Promise<void>((resolve) => connection.socket.end(() => resolve()))));
    for (const connection of this.connections) connection.socket.destroy();
  }
}
