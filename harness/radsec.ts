/**
 * RADIUS over TLS in the tests: certificates made by the real `radgate certs`, the radsec
 * section that uses them, a TLS peer of our own (for refused handshakes and hostile
 * streams), and radsecproxy (Debian's 1.9.2) as the real peer in front of radclient.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { decodePacket } from '../src/protocol/decode.js';
import type { RadiusPacket } from '../src/protocol/packet.js';
import { runCli } from './cli.js';
import { patient } from './patience.js';
import { freeUdpPort } from './ports.js';
import { startServerProcess, type ServerProcess } from './processes.js';
import { tempDir } from './temp.js';

/** RFC 6614 §2.3: the secret of every RADIUS/TLS packet. */
export const RADSEC_SECRET = Buffer.from('radsec');

/** A PSK of 32 bytes, hex, as the psk file holds it (a test value, never a real key). */
export const TEST_PSK_HEX = 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90';

/** Runs `radgate certs …` (JSON output) and fails the test's set-up on a refusal. */
export async function runCerts(...args: string[]): Promise<void> {
  const result = await runCli(['certs', ...args, '--json']);
  if (result.exitCode !== 0) throw new Error(result.stderr);
}

export interface RadsecFiles {
  readonly dir: string;
  /** A client certificate (`proxy1`) and key, issued by the CA in `dir`. */
  readonly client: { readonly cert: string; readonly key: string };
}

async function certs(...args: string[]): Promise<void> {
  const result = await runCli(['certs', ...args, '--json']);
  if (result.exitCode !== 0) throw new Error(`radgate certs ${args.join(' ')} failed: ${result.stderr}`);
}

/** A CA, the gateway's certificate (localhost, 127.0.0.1, ::1) and client `proxy1`, by `radgate certs`; and a PSK file. */
export async function makeRadsecFiles(): Promise<RadsecFiles> {
  const dir = tempDir('radsec');
  await certs('ca', '--dir', dir);
  await Promise.all([certs('server', 'localhost,127.0.0.1,::1', '--dir', dir), certs('client', 'proxy1', '--dir', dir)]);
  writeFileSync(join(dir, 'psk.txt'), `# identity:hexkey\nfr-psk:${TEST_PSK_HEX}\n`, { mode: 0o600 });
  return { dir, client: { cert: join(dir, 'proxy1.pem'), key: join(dir, 'proxy1.key') } };
}

/** The `radsec:` section for the test config (`extra`), on a free loopback port unless one is given. */
export function radsecSection(files: RadsecFiles, options: { port?: number; lines?: string; clients?: string } = {}): string {
  return `radsec:
  listen: ["127.0.0.1:${options.port ?? 0}"]
  certificate_file: ${files.dir}/server.pem
  key_file: ${files.dir}/server.key
  psk_file: ${files.dir}/psk.txt
${options.lines ?? ''}  clients:
    - name: proxy1
      ca_file: ${files.dir}/ca.pem
      certificate_name: proxy1
    - name: fr-psk
      psk_identity: fr-psk
${options.clients ?? ''}`;
}

/** A TLS connection to the gateway: whether the gateway kept it past the handshake, and RADIUS replies read from it. */
export interface TlsPeer {
  readonly socket: TLSSocket;
  /** Resolves once the connection is closed (by either side). */
  readonly closed: Promise<void>;
  /** Sends bytes as they are (framing is the caller's). */
  write(bytes: Buffer): void;
  /** The next whole RADIUS packet the gateway sends, or undefined if it closes first or `timeoutMs` pass. */
  reply(timeoutMs?: number): Promise<RadiusPacket | undefined>;
  close(): void;
}

export function tlsPeer(port: number, options: ConnectionOptions = {}): Promise<TlsPeer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...options });
    let buffered = Buffer.alloc(0);
    const waiting: (() => void)[] = [];
    const closed = new Promise<void>((done) => socket.once('close', () => done()));
    void closed.then(() => waiting.splice(0).forEach((wake) => wake()));
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      waiting.splice(0).forEach((wake) => wake());
    });
    socket.on('error', () => undefined);
    socket.once('secureConnect', () =>
      resolve({
        socket,
        closed,
        write: (bytes) => void socket.write(bytes),
        close: () => socket.destroy(),
        async reply(timeoutMs = patient(2000)) {
          const deadline = Date.now() + timeoutMs;
          for (;;) {
            if (buffered.length >= 4 && buffered.length >= buffered.readUInt16BE(2)) {
              const length = buffered.readUInt16BE(2);
              const packet = buffered.subarray(0, length);
              buffered = buffered.subarray(length);
              return decodePacket(Buffer.from(packet));
            }
            if (socket.destroyed || Date.now() > deadline) return undefined;
            await new Promise<void>((wake) => {
              waiting.push(wake);
              setTimeout(wake, Math.max(0, deadline - Date.now()));
            });
          }
        },
      }),
    );
    socket.once('close', () => reject(new Error('closed before the handshake completed')));
  });
}

export interface Radsecproxy {
  readonly process: ServerProcess;
  /** Where radclient sends (UDP, secret `localsecret`). */
  readonly udpPort: number;
  readonly secret: Buffer;
  stop(): Promise<number | null>;
}

/**
 * radsecproxy in the foreground: UDP from 127.0.0.1 in, RADIUS/TLS to the gateway out, with
 * `proxy1`'s certificate. Resolves once it logs that its TLS connection to radgate is up.
 */
export async function startRadsecproxy(files: RadsecFiles, gatewayPort: number): Promise<Radsecproxy> {
  const udpPort = await freeUdpPort();
  const secret = Buffer.from('radsecproxy-udp-secret');
  const path = join(files.dir, `radsecproxy-${udpPort}.conf`);
  writeFileSync(
    path,
    `ListenUDP 127.0.0.1:${udpPort}
LogLevel 3
client local {
    type udp
    host 127.0.0.1
    secret ${secret.toString()}
}
tls radgate {
    CACertificateFile ${files.dir}/ca.pem
    CertificateFile ${files.client.cert}
    CertificateKeyFile ${files.client.key}
}
server radgate {
    type tls
    host 127.0.0.1
    port ${gatewayPort}
    secret radsec
    tls radgate
    StatusServer on
}
realm * {
    server radgate
}
`,
    { mode: 0o600 },
  );
  let up: (() => void) | undefined;
  const connected = new Promise<void>((resolve) => (up = resolve));
  const process = startServerProcess('radsecproxy', ['-f', '-c', path], { onLine: (line) => (/TLS connection to radgate .* up/.test(line) ? up?.() : undefined) });
  const timer = setTimeout(() => up?.(), patient(10_000));
  await Promise.race([connected, process.exited]);
  clearTimeout(timer);
  if (process.hasExited() || !process.output().some((line) => /TLS connection to radgate .* up/.test(line))) {
    await process.stop();
    throw new Error(`radsecproxy did not connect to radgate:\n${process.output().join('\n')}`);
  }
  return { process, udpPort, secret, stop: () => process.stop() };
}
