import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One SMS as the webhook provider posts it (the sms section's default JSON body). */
export interface ReceivedSms {
  readonly to: string;
  readonly message: string;
}

/**
 * The test's own SMS gateway: a local HTTP server that radgate's webhook provider posts to
 * (`sms.webhook.url`; plain HTTP is allowed to loopback). It takes each message and answers
 * 200, or, `hanging`, takes the request and never answers, as a gateway that stalls.
 * Waiting for a message is event-driven: `next()` resolves when one arrives.
 */
export class SmsInbox {
  private readonly received: ReceivedSms[] = [];
  private readonly waiting: { readonly to: string | undefined; readonly take: (sms: ReceivedSms) => void }[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly arrivals: (() => void)[] = [];
  /** Requests taken so far (answered or hanging). */
  requests = 0;
  /** Requests held open right now (a hanging inbox's, until the provider gives up on them). */
  open = 0;

  private constructor(
    private readonly server: Server,
    private readonly hanging: boolean,
  ) {
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    server.on('request', (request: IncomingMessage, response: ServerResponse) => void this.take(request, response));
  }

  static async start(options: { readonly hanging?: boolean } = {}): Promise<SmsInbox> {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return new SmsInbox(server, options.hanging === true);
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/sms`;
  }

  /** The `sms:` section (top-level YAML) that sends through this inbox, with no retry. */
  section(timeoutMs = 10_000): string {
    return `sms:\n  provider: webhook\n  webhook:\n    url: ${this.url}\n    retries: 0\n    timeout_ms: ${timeoutMs}\n`;
  }

  /** The next message (to `to`, if given) not taken yet by an earlier call: one already here, or the next to arrive. */
  next(to?: string): Promise<ReceivedSms> {
    const index = this.received.findIndex((sms) => to === undefined || sms.to === to);
    if (index >= 0) return Promise.resolve(this.received.splice(index, 1)[0]!);
    return new Promise((take) => this.waiting.push({ to, take }));
  }

  /** Resolves once a request has arrived (for a hanging inbox: it is now held open). */
  requestArrived(): Promise<void> {
    if (this.requests > 0) return Promise.resolve();
    return new Promise((resolve) => this.arrivals.push(resolve));
  }

  /** Messages that arrived and nobody took with `next()`. */
  get unread(): readonly ReceivedSms[] {
    return this.received;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.server.close();
    await once(this.server, 'close');
  }

  private async take(request: IncomingMessage, response: ServerResponse): Promise<void> {
    this.requests += 1;
    this.open += 1;
    response.on('close', () => (this.open -= 1));
    for (const arrived of this.arrivals.splice(0)) arrived();
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    if (this.hanging) return;
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { to: string; message: string };
    response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    const sms = { to: body.to, message: body.message };
    const index = this.waiting.findIndex((waiting) => waiting.to === undefined || waiting.to === sms.to);
    if (index < 0) this.received.push(sms);
    else this.waiting.splice(index, 1)[0]!.take(sms);
  }
}

/** The authorization code in an SMS of the default message ("Your radgate authorization code: 7KAC-3EWX…. Valid until …"). */
export function codeInSms(sms: ReceivedSms): string {
  const code = /code: ([0-9A-Za-z -]+?)\. /.exec(sms.message)?.[1];
  if (code === undefined) throw new Error('no code in the SMS');
  return code;
}
