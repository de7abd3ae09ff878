import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createSecureContext } from 'node:tls';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { ListenAddress } from '../config/types.js';
import { RadgateError, type RadgateErrorCode } from '../errors.js';

/** PEM bytes of a certificate chain and its private key, as a config section holds them (never logged). */
export interface TlsFiles {
  readonly certificate: Buffer;
  readonly key: Buffer;
  /** Where the certificate was read from, for the log line of a renewal. */
  readonly certificateFile: string;
}

export function tlsOptions(files: TlsFiles): { cert: Buffer; key: Buffer; minVersion: 'TLSv1.2' } {
  return { cert: files.certificate, key: files.key, minVersion: 'TLSv1.2' };
}

/** What the listener is called in its log line and its errors. */
export interface ListenerNames {
  /** "the helpdesk console": logged as `listening for ${what} (HTTPS)`. */
  readonly what: string;
  /** The config section ("console"), named in errors so the admin knows what to change. */
  readonly section: string;
  readonly listenFailed: RadgateErrorCode;
}

/** A web app's HTTPS listener, as `serve` and the standalone commands run it. */
export class HttpsListener {
  private constructor(
    private readonly app: FastifyInstance,
    private readonly names: ListenerNames,
    private readonly logger: Logger,
    private current: TlsFiles,
    readonly address: AddressInfo,
  ) {}

  /** Listens with a built app (made with `tls`); closes it if the address cannot be bound. */
  static async start(app: FastifyInstance, listen: ListenAddress, tls: TlsFiles, names: ListenerNames, logger: Logger): Promise<HttpsListener> {
    try {
      await app.listen({ host: listen.host, port: listen.port, ipv6Only: listen.family === 6 });
    } catch (error) {
      await app.close();
      const where = listen.family === 6 ? `[${listen.host}]:${listen.port}` : `${listen.host}:${listen.port}`;
      throw new RadgateError(names.listenFailed, `cannot listen for ${names.what} on ${where}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}; set ${names.section}.listen to a free address, or to off`);
    }
    const address = app.server.address() as AddressInfo;
    logger.info({ address: address.address, port: address.port }, `listening for ${names.what} (HTTPS)`);
    return new HttpsListener(app, names, logger, tls, address);
  }

  /**
   * What a reload does to the listener: the same files change nothing; a renewed
   * certificate and key are checked now and used once `apply` is called (after the rest of
   * the reload succeeded). A section added, removed or moved needs a restart, as
   * reload-diff.ts reports; `next` undefined (the section gone) leaves this one running.
   */
  reloading(next: TlsFiles | undefined): { readonly problem: string } | { readonly apply: () => void } {
    if (next === undefined || (next.certificate.equals(this.current.certificate) && next.key.equals(this.current.key))) return { apply: () => undefined };
    const change = this.certificateChange(next);
    if ('problem' in change) return change;
    return {
      apply: () => {
        change.apply();
        this.current = next;
        this.logger.info({ certificate: next.certificateFile }, `${this.names.section}: new certificate in use`);
      },
    };
  }

  /**
   * A renewed certificate and key (a reload): checked first (a key that does not match the
   * certificate is a problem, and nothing changes), then used for every new connection.
   */
  certificateChange(files: TlsFiles): { readonly problem: string } | { readonly apply: () => void } {
    try {
      createSecureContext(tlsOptions(files));
    } catch (error) {
      return { problem: `${this.names.section}.certificate_file and key_file cannot be used together: ${(error as Error).message}` };
    }
    return { apply: () => (this.app.server as HttpsServer).setSecureContext(tlsOptions(files)) };
  }

  /** Stops accepting, ends keep-alive connections, and waits for the requests in progress. */
  async close(): Promise<void> {
    await this.app.close();
  }
}
