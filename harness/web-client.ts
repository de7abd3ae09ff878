/**
 * An HTTPS client for radgate's web pages in tests (the console, the self-service pages): a
 * cookie jar, and the CSRF token read off each page, for the checks that need exact
 * requests (the browser tests drive Chromium instead).
 */
import { request as httpsRequest } from 'node:https';
import { patient } from './patience.js';

export interface WebResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** One browser tab's worth of state: cookies (shared by the tabs made with the same jar), and the last CSRF token seen. */
export class WebClient {
  csrf: string | undefined;

  constructor(
    readonly port: number,
    protected readonly certificate: string,
    protected readonly jar: Map<string, string> = new Map(),
  ) {}

  get cookies(): ReadonlyMap<string, string> {
    return this.jar;
  }

  request(method: 'GET' | 'POST', path: string, form?: Record<string, string>, headers: Record<string, string> = {}): Promise<WebResponse> {
    const body = form === undefined ? undefined : new URLSearchParams(form).toString();
    const cookie = [...this.jar].map(([name, value]) => `${name}=${value}`).join('; ');
    return new Promise((resolve, reject) => {
      const request = httpsRequest(
        {
          host: '127.0.0.1',
          port: this.port,
          method,
          path,
          ca: this.certificate,
          timeout: patient(5000),
          headers: { ...(cookie === '' ? {} : { cookie }), ...(body === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' }), ...headers },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            for (const line of response.headers['set-cookie'] ?? []) {
              const [pair] = line.split(';');
              const [name, value] = pair!.split('=') as [string, string];
              if (/Expires=Thu, 01 Jan 1970/i.test(line) || value === '') this.jar.delete(name);
              else this.jar.set(name, value);
            }
            const text = Buffer.concat(chunks).toString('utf8');
            this.csrf = /name="_csrf" value="([^"]+)"/.exec(text)?.[1] ?? this.csrf;
            resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text });
          });
        },
      );
      request.on('timeout', () => request.destroy(new Error(`${method} ${path}: no answer`)));
      request.on('error', reject);
      request.end(body);
    });
  }

  get(path: string, headers?: Record<string, string>): Promise<WebResponse> {
    return this.request('GET', path, undefined, headers);
  }

  /** A form post with the CSRF token of the last page seen (unless the form names its own `_csrf`). */
  post(path: string, form: Record<string, string> = {}): Promise<WebResponse> {
    return this.request('POST', path, { ...(this.csrf === undefined ? {} : { _csrf: this.csrf }), ...form });
  }
}
