import { createSocket, type Socket } from 'node:dgram';

/**
 * A NAS stand-in: one UDP socket with a fixed source port, so retransmissions really are
 * retransmissions (RFC 5080 keys the duplicate cache on the source port).
 */
export class UdpPeer {
  private readonly socket: Socket;
  private readonly queue: Buffer[] = [];
  private waiting: ((message: Buffer) => void) | undefined;

  private constructor(
    private readonly host: string,
    private readonly port: number,
    family: 4 | 6,
  ) {
    this.socket = createSocket(family === 6 ? 'udp6' : 'udp4');
    this.socket.on('message', (message) => {
      if (this.waiting !== undefined) {
        const deliver = this.waiting;
        this.waiting = undefined;
        deliver(message);
      } else this.queue.push(message);
    });
  }

  /** `localAddress` picks the source address (e.g. 127.0.0.2, to stand in for a second NAS). */
  static async open(host: string, port: number, localAddress: string = host): Promise<UdpPeer> {
    const peer = new UdpPeer(host, port, host.includes(':') ? 6 : 4);
    await new Promise<void>((resolve) => peer.socket.bind(0, localAddress, resolve));
    return peer;
  }

  send(packet: Buffer): void {
    this.socket.send(packet, this.port, this.host);
  }

  /** The next datagram, or undefined if none arrives within `timeoutMs`. */
  receive(timeoutMs = 1000): Promise<Buffer | undefined> {
    const queued = this.queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        resolve(undefined);
      }, timeoutMs);
      this.waiting = (message) => {
        clearTimeout(timer);
        resolve(message);
      };
    });
  }

  async exchange(packet: Buffer, timeoutMs = 1000): Promise<Buffer | undefined> {
    this.send(packet);
    return this.receive(timeoutMs);
  }

  close(): void {
    this.socket.close();
  }
}
