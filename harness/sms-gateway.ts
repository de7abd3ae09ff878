import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the test's SMS gateway received, as it arrived. */
export interface ReceivedSms {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/** How the gateway answers one request: an HTTP status, or never (a provider that hangs). */
export type SmsAnswer = number | 'hang';

/**
 * A local HTTP server standing in for an SMS gateway (loopback, so the webhook provider may
 * use plain http://): it records every request and answers with the statuses queued, then
 * 200. Waits are for requests, never for time.
 */
export class TestSmsGateway {
  readonly received: ReceivedSms[] = [];
  private readonly answers: SmsAnswer[] = [];
  private readonly waiters: (() => void)[] = [];
  private readonly hanging = new Set<ServerResponse>();
  private readonly taken = new Set<ReceivedSms>();

  private constructor(private readonly server: Server) {}

  static async start(): Promise<TestSmsGateway> {
    const server = createServer();
    const gateway = new TestSmsGateway(server);
    server.on('request', (request: IncomingMessage, response: ServerResponse) => gateway.handle(request, response));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return gateway;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/send`;
  }

  /** Requests held open right now (a hanging provider). */
  get hangingNow(): number {
    return this.hanging.size;
  }

  /**
   * The first message to `number` (the "to" of the default JSON body) that no earlier call
   * took: one already received, or the next to arrive. Tests running side by side on one
   * gateway each wait for their own user's number.
   */
  async messageTo(number: string): Promise<ReceivedSms> {
    for (;;) {
      const found = this.received.find((sms) => !this.taken.has(sms) && (JSON.parse(sms.body) as { to?: string }).to === number);
      if (found !== undefined) {
        this.taken.add(found);
        return found;
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** The next requests get these answers, in order; the ones after them 200. */
  answer(...answers: SmsAnswer[]): void {
    this.answers.push(...answers);
  }

  /** Resolves once `count` requests in all have arrived. */
  async requests(count: number): Promise<ReceivedSms[]> {
    while (this.received.length < count) await new Promise<void>((resolve) => this.waiters.push(resolve));
    return this.received.slice(0, count);
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      this.received.push({ method: request.method ?? '', path: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      const answer = this.answers.shift() ?? 200;
      if (answer === 'hang') {
        this.hanging.add(response);
        response.on('close', () => this.hanging.delete(response));
      } else response.writeHead(answer).end(answer === 200 ? '{"status":"queued"}' : 'try later');
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  /** Answers the requests held open (a provider that hung) with `status`. */
  release(status = 200): void {
    for (const response of this.hanging) response.writeHead(status).end();
  }

  async close(): Promise<void> {
    for (const response of this.hanging) response.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** The code in the default SMS text ("Your radgate authorization code: 1A2B-…. Valid until …"). */
export function codeInSms(sms: ReceivedSms): string {
  const { message } = JSON.parse(sms.body) as { message: string };
  const match = /authorization code: ([0-9A-Z-]+)\. Valid until/.exec(message);
  if (match === null) throw new Error('no code in the SMS text');
  return match[1]!;
}

/**
 * An `sms:` section sending to `url` by webhook with the default JSON body; `more`: further
 * lines under `webhook:` (4 spaces). A long timeout by default: a test that wants one says so.
 */
export function webhookSmsSection(url: string, options: { readonly timeoutMs?: number; readonly retries?: number; readonly more?: string } = {}): string {
  return `sms:\n  provider: webhook\n  webhook:\n    url: ${url}\n    timeout_ms: ${options.timeoutMs ?? 60000}\n    retries: ${options.retries ?? 0}\n${options.more ?? ''}`;
}
