import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { setTimeout as delay } from 'node:timers/promises';
import type { SmsWebhookConfig } from '../config/sms-config.js';
import { SmsDeliveryError } from './sms-error.js';
import type { SmsProvider } from './sms-provider.js';
import { webhookBody } from './sms-templates.js';

/** The first retry waits this long, each next one twice as long. */
const FIRST_RETRY_DELAY_MS = 250;
/** A gateway's answer is read and dropped (it may echo the number): only this much of it. */
const MAX_ANSWER_BYTES = 64 * 1024;

type Attempt = { readonly status: number } | { readonly failed: string; readonly retry: boolean };

/**
 * An SMS gateway over HTTPS (or HTTP to a relay on this host, config/sms-checks.ts): the
 * body template filled in, fixed headers plus the authorization header, TLS verified against
 * the system's CAs or `ca_file`. Retried with backoff only when the gateway cannot have
 * taken the message — it could not be reached, or it answered 5xx or 429 — never after a
 * timeout, when it may have, and a retry would send the code twice.
 * node:https rather than fetch: Node 20's fetch takes no CA without an undici import.
 */
export class WebhookProvider implements SmsProvider {
  readonly kind = 'webhook';

  constructor(private readonly config: SmsWebhookConfig) {}

  async deliver(number: string, text: string): Promise<void> {
    const body = Buffer.from(webhookBody(this.config.body, this.config.contentType, { number, message: text }), 'utf8');
    for (let attempt = 0; ; attempt++) {
      const result = await this.post(body);
      if ('status' in result && result.status >= 200 && result.status < 300) return;
      const retry = 'status' in result ? result.status >= 500 || result.status === 429 : result.retry;
      const why = 'status' in result ? `the gateway answered HTTP ${result.status}` : result.failed;
      // 400 and 422 refuse what was sent (a number it cannot reach); 401, 403, 404… are the
      // gateway's own configuration, failing for everyone.
      const scope = 'status' in result && (result.status === 400 || result.status === 422) ? 'message' : 'provider';
      if (!retry || attempt >= this.config.retries) throw new SmsDeliveryError('webhook', attempt === 0 ? why : `${why} (after ${attempt + 1} attempts)`, scope);
      await delay(FIRST_RETRY_DELAY_MS * 2 ** attempt);
    }
  }

  private post(body: Buffer): Promise<Attempt> {
    const { url, method, headers, contentType, authorization, timeoutMs, ca } = this.config;
    const send = url.startsWith('https:') ? httpsRequest : httpRequest;
    return new Promise((resolve) => {
      let settled = false;
      const settle = (result: Attempt): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(result);
      };
      const outgoing = send(url, {
        method,
        // One connection per message: nothing lingers to keep a CLI command alive.
        agent: false,
        ...(ca === undefined ? {} : { ca }),
        headers: {
          ...headers,
          'Content-Type': contentType,
          'Content-Length': body.length,
          ...(authorization === undefined ? {} : { [authorization.header]: authorization.value }),
        },
      });
      const timer = setTimeout(() => {
        settle({ failed: `no answer within ${timeoutMs} ms`, retry: false });
        outgoing.destroy();
      }, timeoutMs);
      outgoing.on('response', (answer: IncomingMessage) => {
        let read = 0;
        answer.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > MAX_ANSWER_BYTES) answer.destroy();
        });
        answer.on('end', () => settle({ status: answer.statusCode ?? 0 }));
        answer.on('close', () => settle({ status: answer.statusCode ?? 0 }));
        answer.on('error', () => settle({ status: answer.statusCode ?? 0 }));
      });
      // An errno only (ECONNREFUSED, a certificate error's code): a message may quote the URL's host, never the body.
      outgoing.on('error', (error: NodeJS.ErrnoException) => settle({ failed: `could not reach the gateway (${error.code ?? 'error'})`, retry: true }));
      outgoing.end(body);
    });
  }
}
