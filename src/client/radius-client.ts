import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
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
} from '../protocol/index.js';

export interface ClientTarget {
  readonly host: string;
  readonly port: number;
  readonly secret: Buffer;
  /** Per attempt; the request is retransmitted (same bytes) after each timeout. */
  readonly timeoutMs?: number;
  readonly retries?: number;
}

/** "127.0.0.1:1812", "[::1]:1812", "host" (port 1812). */
export function parseServer(text: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d{1,5}))?$/.exec(text);
  const port = match?.[3] === undefined ? 1812 : Number(match[3]);
  if (match === null || port < 1 || port > 65535) throw new RangeError(`"${text}" is not HOST[:PORT] (IPv6 in brackets: [::1]:1812)`);
  return { host: match[1] ?? match[2]!, port };
}

/**
 * A minimal NAS: sends one request, retransmits it unchanged on timeout (RFC 5080), and
 * accepts only a reply whose Response Authenticator and Message-Authenticator verify —
 * the check radclient 3.2.5 added as `-b` for BlastRADIUS. Used by `radgate test` (the
 * benchmark's load generator and the reliability NAS keep many requests in flight instead).
 */
export class RadiusClient {
  private readonly socket: Socket;
  private identifier = Math.floor(Math.random() * 256);

  constructor(private readonly target: ClientTarget) {
    this.socket = createSocket(isIPv6(target.host) ? 'udp6' : 'udp4');
  }

  close(): void {
    this.socket.close();
  }

  /** Builds and sends an Access-Request; resolves with the verified reply, or undefined on no reply. */
  accessRequest(userName: string, password: string, extra: readonly RawAttribute[] = []): Promise<RadiusPacket | undefined> {
    const authenticator = randomAuthenticator();
    const attributes: RawAttribute[] = [
      { type: AttributeType.UserName, value: Buffer.from(userName, 'utf8') },
      { type: AttributeType.UserPassword, value: hideUserPassword(Buffer.from(password, 'utf8'), this.target.secret, authenticator) },
      ...extra,
    ];
    return this.exchange(PacketCode.AccessRequest, authenticator, attributes);
  }

  private async exchange(code: number, authenticator: Buffer, attributes: readonly RawAttribute[]): Promise<RadiusPacket | undefined> {
    this.identifier = (this.identifier + 1) & 0xff;
    const identifier = this.identifier;
    const request = encodeRequest({ code, identifier, authenticator, attributes, secret: this.target.secret });
    const attempts = 1 + (this.target.retries ?? 2);
    for (let attempt = 0; attempt < attempts; attempt++) {
      const reply = await this.sendAndWait(request, identifier, authenticator);
      if (reply !== undefined) return reply;
    }
    return undefined;
  }

  private sendAndWait(request: Buffer, identifier: number, authenticator: Buffer): Promise<RadiusPacket | undefined> {
    return new Promise((resolve) => {
      const onMessage = (datagram: Buffer) => {
        let reply: RadiusPacket;
        try {
          reply = decodePacket(datagram);
        } catch {
          return; // Not a reply we can read: keep waiting for the real one.
        }
        if (reply.identifier !== identifier) return;
        // A reply that does not verify is ignored as a forgery, as RFC 2865 §3 requires.
        if (!verifyResponseAuthenticator(reply, authenticator, this.target.secret)) return;
        if (!verifyMessageAuthenticator(reply, this.target.secret, authenticator)) return;
        finish(reply);
      };
      const timer = setTimeout(() => finish(undefined), this.target.timeoutMs ?? 3000);
      const finish = (reply: RadiusPacket | undefined) => {
        clearTimeout(timer);
        this.socket.off('message', onMessage);
        resolve(reply);
      };
      this.socket.on('message', onMessage);
      this.socket.send(request, this.target.port, this.target.host, (error) => {
        if (error) finish(undefined);
      });
    });
  }
}

