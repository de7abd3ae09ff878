/**
 * FreeRADIUS 3.2 (Debian's `freeradius`) as a RadSec client: it takes RADIUS/UDP from
 * radclient and proxies every request to radgate over TLS, as a `home_server` with
 * `proto = tcp` and a `tls { }` section, with `proxy1`'s certificate made by `radgate certs`
 * or with the TLS-PSK identity `fr-psk` (harness/radsec.ts). Run from a private copy of
 * the system configuration (harness/freeradius.ts), with:
 *
 * - clients.conf: one client, 127.0.0.1, the UDP secret radclient uses;
 * - proxy.conf: the home server, its pool and the realm `radgate` (the whole file: Debian's
 *   example realms are not wanted);
 * - sites-enabled: one site of our own, an auth listener on 127.0.0.1 whose `authorize` sends
 *   every request to the realm `radgate` (Proxy-To-Realm), nothing else;
 * - mods-enabled/eap removed: it refuses to load without an `Auth-Type EAP` in some site.
 */
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkFreeradiusConfig, privateFreeradiusConfig } from './freeradius.js';
import { patient } from './patience.js';
import { freeUdpPort } from './ports.js';
import { TEST_PSK_HEX, type RadsecFiles } from './radsec.js';
import { startServerProcess, type ServerProcess } from './processes.js';

export type RadsecCredential = 'certificate' | 'psk';

export interface FreeradiusRadsecClient {
  readonly process: ServerProcess;
  /** Where radclient sends (UDP). */
  readonly udpPort: number;
  readonly secret: Buffer;
  readonly directory: string;
  stop(): Promise<number | null>;
}

/**
 * With `psk`: the identity and key, and only TLS 1.2 PSK suites, so that a handshake can only
 * be a PSK one (without them FreeRADIUS 3.2.1 starts a certificate handshake and fails on
 * radgate's certificate). FreeRADIUS 3.2.1 ignores psk_identity/psk_hexphrase in a home
 * server (test/radsec/freeradius.test.ts shows it), so this peer never gets to radgate.
 */
function tlsSection(files: RadsecFiles, credential: RadsecCredential): string {
  if (credential === 'psk') return `\t\tpsk_identity = "fr-psk"\n\t\tpsk_hexphrase = "${TEST_PSK_HEX}"\n\t\ttls_max_version = "1.2"\n\t\tcipher_list = "PSK"\n`;
  return `\t\tcertificate_file = ${files.client.cert}\n\t\tprivate_key_file = ${files.client.key}\n\t\tca_file = ${files.dir}/ca.pem\n`;
}

/** The home server, its pool and the realm: radgate on 127.0.0.1:`gatewayPort` over TLS. */
export function proxyConf(files: RadsecFiles, credential: RadsecCredential, gatewayPort: number): string {
  return `proxy server {
\tdefault_fallback = no
}
home_server radgate {
\tipaddr = 127.0.0.1
\tport = ${gatewayPort}
\ttype = auth
\tproto = tcp
\tsecret = radsec
\tstatus_check = none
\tresponse_window = 20
\ttls {
${tlsSection(files, credential)}\t\tfragment_size = 8192
\t}
}
home_server_pool radgate {
\ttype = fail-over
\thome_server = radgate
}
realm radgate {
\tauth_pool = radgate
\tnostrip
}
`;
}

const SITE = (udpPort: number): string => `server radgate-proxy {
listen {
\ttype = auth
\tipaddr = 127.0.0.1
\tport = ${udpPort}
}
authorize {
\tupdate control {
\t\t&Proxy-To-Realm := "radgate"
\t}
}
authenticate {
}
}
`;

/**
 * Starts FreeRADIUS in the foreground (`-f`, threaded, logging to stdout) and resolves once
 * it says "Ready to process requests". It connects to radgate on the first request.
 */
export async function startFreeradiusRadsecClient(files: RadsecFiles, gatewayPort: number, credential: RadsecCredential): Promise<FreeradiusRadsecClient> {
  const { directory, cleanUp } = privateFreeradiusConfig(`radgate-test-freeradius-${credential}`);
  try {
    const udpPort = await freeUdpPort();
    const secret = Buffer.from('freeradius-udp-secret');
    writeFileSync(join(directory, 'clients.conf'), `client radclient {\n\tipaddr = 127.0.0.1\n\tsecret = ${secret.toString()}\n\trequire_message_authenticator = no\n}\n`);
    writeFileSync(join(directory, 'proxy.conf'), proxyConf(files, credential, gatewayPort), { mode: 0o600 });
    const sites = join(directory, 'sites-enabled');
    for (const name of readdirSync(sites)) rmSync(join(sites, name), { force: true });
    writeFileSync(join(sites, 'radgate-proxy'), SITE(udpPort));
    rmSync(join(directory, 'mods-enabled', 'eap'), { force: true });
    checkFreeradiusConfig(directory);

    let ready: (() => void) | undefined;
    const isReady = new Promise<void>((resolve) => (ready = resolve));
    const process = startServerProcess('freeradius', ['-f', '-d', directory, '-l', 'stdout'], {
      onLine: (line) => (line.includes('Ready to process requests') ? ready?.() : undefined),
    });
    const timer = setTimeout(() => ready?.(), patient(10_000));
    await Promise.race([isReady, process.exited]);
    clearTimeout(timer);
    if (process.hasExited() || !process.output().some((line) => line.includes('Ready to process requests'))) {
      await process.stop();
      throw new Error(`FreeRADIUS did not start:\n${process.output().join('\n')}`);
    }
    return {
      process,
      udpPort,
      secret,
      directory,
      stop: async () => {
        const code = await process.stop();
        cleanUp();
        return code;
      },
    };
  } catch (error) {
    cleanUp();
    throw error;
  }
}
