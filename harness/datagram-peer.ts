import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';

/** Datagrams kept for `receive`: enough for any test, bounded against a flood. */
const KEPT = 1024;

/**
 * Datagrams as they are, for tests of what the server does with bytes no NAS would send
 * (malformed packets, forged authenticators, the same bytes twice at once) and of the
 * exact bytes it answers. Not a RADIUS client: it builds, matches and verifies nothing;
 * src/client/radius-client.ts is the one that does.
 */
export class DatagramPeer {
  /** Sends the operating system refused: on a connected socket, an ICMP port unreachable (nobody listens) arrives as one. */
  refused = 0;
  private readonly queue: Buffer[] = [];
  private waiting: ((datagram: Buffer) => void) | undefined;

  private constructor(private readonly socket: Socket) {
    socket.on('error', () => this.refused++);
    socket.on('message', (datagram: Buffer) => {
      if (this.waiting !== undefined) {
        const deliver = this.waiting;
        this.waiting = undefined;
        deliver(datagram);
        return;
      }
      this.queue.push(datagram);
      if (this.queue.length > KEPT) this.queue.shift();
    });
  }

  /** A socket connected to 127.0.0.1:`port` (or `host`), sending from `localAddress` (e.g. 127.0.0.2 for a second NAS). */
  static async open(port: number, options: { readonly host?: string; readonly localAddress?: string } = {}): Promise<DatagramPeer> {
    const host = options.host ?? '127.0.0.1';
    const socket = createSocket(isIPv6(host) ? 'udp6' : 'udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, options.localAddress, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    await new Promise<void>((resolve, reject) => socket.connect(port, host, (error?: Error) => (error === undefined || error === null ? resolve() : reject(error))));
    return new DatagramPeer(socket);
  }

  send(bytes: Buffer): void {
    this.socket.send(bytes);
  }

  /** The next datagram, or undefined after `timeoutMs` (0: only one already here). */
  receive(timeoutMs: number): Promise<Buffer | undefined> {
    const queued = this.queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        resolve(undefined);
      }, timeoutMs);
      this.waiting = (datagram) => {
        clearTimeout(timer);
        resolve(datagram);
      };
    });
  }

  exchange(bytes: Buffer, timeoutMs: number): Promise<Buffer | undefined> {
    this.send(bytes);
    return this.receive(timeoutMs);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

export function openPeer(port: number, localAddress?: string): Promise<DatagramPeer> {
  return DatagramPeer.open(port, localAddress === undefined ? {} : { localAddress });
}
