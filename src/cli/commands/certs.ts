import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { readPemFile, writePrivateKey, writePublicFile, CertificateFileError } from '../../certs/certificate-files.js';
import { summariseCertificate, type CertificateSummary } from '../../certs/certificate-summary.js';
import { createCa, issueCertificate, readIssuer, type AltNames, type Issuer, type KeyAndCertificate } from '../../certs/private-ca.js';
import { decodeRevocationList, encodeRevocationList, type RevocationList, type RevokedEntry } from '../../certs/revocation-list.js';
import { usageError } from '../exit.js';
import type { GlobalOptions } from '../global-options.js';
import { wholeNumber } from '../input.js';
import { print } from '../output.js';

/**
 * `radgate certs`: a private CA for RADIUS over TLS (README "RadSec"), so that an admin
 * needs no OpenSSL recipe. Everything lives in one folder (`--dir`): ca.pem and ca.key,
 * server.pem and server.key, NAME.pem and NAME.key per client, crl.pem. Keys are written
 * 0600 and never printed; what is printed is the certificate's summary.
 */

interface FolderArgs extends GlobalOptions {
  readonly dir: string;
  readonly days: number;
  readonly force: boolean;
}

const CA_FILES = { certificate: 'ca.pem', key: 'ca.key' } as const;

function folderOptions<T>(yargs: Argv<T>, days: number): Argv<T & FolderArgs> {
  return yargs
    .option('dir', { type: 'string', default: '.', requiresArg: true, describe: 'Folder of the CA and the files written (ca.pem, ca.key, …)' })
    .option('days', { type: 'number', default: days, requiresArg: true, describe: 'Validity in days' })
    .option('force', { type: 'boolean', default: false, describe: 'Replace files that exist' }) as unknown as Argv<T & FolderArgs>;
}

function days(argv: FolderArgs): number {
  return wholeNumber(argv.days, '--days', { min: 1, max: 36_500 })!;
}

function loadCa(dir: string): Issuer {
  const certificatePath = join(dir, CA_FILES.certificate);
  const keyPath = join(dir, CA_FILES.key);
  const certificate = readPemFile(certificatePath, 'the CA certificate (radgate certs ca makes it)');
  const key = readPemFile(keyPath, 'the CA key (radgate certs ca makes it)');
  try {
    return readIssuer(certificate, key);
  } catch {
    throw new CertificateFileError('RADGATE_CERTS_INVALID', `${certificatePath} and ${keyPath} are not a CA certificate and its RSA key as radgate certs ca writes them`);
  }
}

/** Writes a key (0600) and its certificate, and says what was written. */
function writePair(dir: string, base: string, made: KeyAndCertificate, force: boolean): { certificate: string; key: string; summary: CertificateSummary } {
  const certificate = resolve(dir, `${base}.pem`);
  const key = resolve(dir, `${base}.key`);
  writePrivateKey(key, made.keyPem, force);
  writePublicFile(certificate, made.certificatePem, force);
  return { certificate, key, summary: summariseCertificate(made.certificatePem, certificate) };
}

function printPair(argv: GlobalOptions, what: string, result: ReturnType<typeof writePair>): void {
  print(argv, result, ({ certificate, key, summary }) => [
    `wrote ${what} ${certificate}`,
    `  and its key ${key} (mode 0600; give it to nobody else)`,
    ...describe(summary).map((line) => `  ${line}`),
  ]);
}

function describe(summary: CertificateSummary): string[] {
  return [
    `subject:     ${summary.subject}`,
    `issuer:      ${summary.issuer}`,
    `names:       ${summary.altNames.length === 0 ? '-' : summary.altNames.join(', ')}`,
    `valid:       ${summary.notBefore} to ${summary.notAfter}${summary.expired ? ' (EXPIRED)' : ''}`,
    `serial:      ${summary.serial}`,
    `sha256:      ${summary.fingerprintSha256}`,
    `key:         ${summary.keyType}${summary.keyBits === undefined ? '' : ` ${summary.keyBits} bits`}${summary.isCa ? ', CA' : ''}${summary.purposes.length === 0 ? '' : `, ${summary.purposes.join(', ')}`}`,
  ];
}

/** DNS names and IP addresses for subjectAltName, each checked so a typo is a usage error. */
function altNames(names: readonly string[]): AltNames {
  const dns: string[] = [];
  const ip: string[] = [];
  for (const name of names) {
    if (isIP(name) !== 0) ip.push(name);
    else if (/^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*$/.test(name)) dns.push(name);
    else throw usageError(`${JSON.stringify(name)} is neither a DNS name nor an IP address`);
  }
  return { dns, ip };
}

const ca: CommandModule<GlobalOptions, FolderArgs & { name: string }> = {
  command: 'ca',
  describe: 'Create a private CA (ca.pem, ca.key 0600) that signs the server and client certificates',
  builder: (yargs) =>
    folderOptions(yargs, 3650)
      .option('name', { type: 'string', default: 'radgate RadSec CA', requiresArg: true, describe: 'The CA certificate\'s common name' })
      .example('$0 certs ca --dir /etc/radgate/tls', 'a CA valid for ten years') as never,
  handler: (argv) => printPair(argv, 'the CA certificate', writePair(argv.dir, 'ca', createCa(argv.name, days(argv)), argv.force)),
};

const server: CommandModule<GlobalOptions, FolderArgs & { names: string; out: string }> = {
  // One argument, comma-separated: the CLI takes an option or positional given twice as its
  // last value (main.ts), so a list cannot be repeated words.
  command: 'server <names>',
  describe: 'Issue the gateway\'s certificate (serverAuth) for the DNS names and addresses NAS peers connect to',
  builder: (yargs) =>
    folderOptions(yargs, 825)
      .positional('names', { type: 'string', demandOption: true, describe: 'DNS names and IP addresses, comma-separated; the first is also the common name' })
      .option('out', { type: 'string', default: 'server', requiresArg: true, describe: 'Base name of the files written (server.pem, server.key)' })
      .example('$0 certs server radius.example.net,192.0.2.10 --dir /etc/radgate/tls', 'server.pem and server.key') as never,
  handler: (argv) => {
    const names = String(argv.names).split(',').map((name) => name.trim()).filter((name) => name !== '');
    if (names.length === 0) throw usageError('name the server: a DNS name or an address, or several, comma-separated');
    const made = issueCertificate(loadCa(argv.dir), 'server', names[0]!, altNames(names), days(argv));
    printPair(argv, 'the server certificate', writePair(argv.dir, argv.out, made, argv.force));
  },
};

const client: CommandModule<GlobalOptions, FolderArgs & { name: string }> = {
  command: 'client <name>',
  describe: 'Issue a client certificate (clientAuth) for one RadSec peer (radsecproxy, FreeRADIUS, a NAS)',
  builder: (yargs) =>
    folderOptions(yargs, 825)
      .positional('name', { type: 'string', demandOption: true, describe: 'Common name, also the dNSName, and the files\' base name' })
      .example('$0 certs client vpn-proxy-1 --dir /etc/radgate/tls', 'vpn-proxy-1.pem and vpn-proxy-1.key') as never,
  handler: (argv) => {
    const name = String(argv.name);
    if (!/^[A-Za-z0-9][A-Za-z0-9.-]{0,63}$/.test(name)) throw usageError('the client name must be 1 to 64 letters, digits, "." or "-": it names files and is matched by the gateway');
    const made = issueCertificate(loadCa(argv.dir), 'client', name, altNames([name]), days(argv));
    printPair(argv, 'the client certificate', writePair(argv.dir, name, made, argv.force));
  },
};

const show: CommandModule<GlobalOptions, GlobalOptions & { file: string }> = {
  command: 'show <file>',
  describe: 'Show a certificate: subject, names, validity, fingerprint (any PEM certificate, not only radgate\'s)',
  builder: (yargs) => yargs.positional('file', { type: 'string', demandOption: true }) as never,
  handler: (argv) => {
    const path = resolve(argv.file);
    const summary = summariseCertificate(readPemFile(path, 'the certificate'), path);
    print(argv, { file: path, ...summary }, () => [path, ...describe(summary).map((line) => `  ${line}`)]);
  },
};

/**
 * The CRL already written, to keep its revocations; undefined only when there is none yet.
 * Any other problem (unreadable, not a CRL of this CA) stops the command: writing a new list
 * from nothing would silently un-revoke every certificate the old one listed.
 */
function readExistingCrl(path: string, issuer: Issuer): RevocationList | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined; // the first CRL
    throw new CertificateFileError('RADGATE_CERTS_INVALID', `cannot read the CRL ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}; nothing written (fix or move it away, or its revocations would be lost)`);
  }
  const list = decodeRevocationList(text, issuer);
  if (list === undefined) {
    throw new CertificateFileError('RADGATE_CERTS_INVALID', `${path} is not a CRL of the CA in ${dirname(path)}; nothing written (fix or move it away, or its revocations would be lost)`);
  }
  return list;
}

const crl: CommandModule<GlobalOptions, FolderArgs & { revoke: string | undefined }> = {
  command: 'crl',
  describe: 'Write the CA\'s revocation list (crl.pem), revoking the certificates given; earlier revocations are kept',
  builder: (yargs) =>
    folderOptions(yargs, 365)
      .option('revoke', { type: 'string', requiresArg: true, describe: 'A certificate file this CA issued, to revoke; without it the list is written again as it is (renewed)' })
      .example('$0 certs crl --dir /etc/radgate/tls --revoke /etc/radgate/tls/vpn-proxy-1.pem', 'revoke one client, then radgate reload') as never,
  handler: (argv) => {
    const issuer = loadCa(argv.dir);
    const caSubject = summariseCertificate(readPemFile(join(argv.dir, CA_FILES.certificate), 'the CA certificate'), CA_FILES.certificate).subject;
    const path = resolve(argv.dir, 'crl.pem');
    const existing = readExistingCrl(path, issuer);
    const entries: RevokedEntry[] = [...(existing?.entries ?? [])];
    const now = new Date();
    const revoked: CertificateSummary[] = [];
    for (const file of argv.revoke === undefined ? [] : [argv.revoke]) {
      const summary = summariseCertificate(readPemFile(resolve(file), 'the certificate to revoke'), file);
      if (summary.issuer !== caSubject) {
        throw new CertificateFileError('RADGATE_CERTS_INVALID', `${file} was not issued by the CA in ${argv.dir}`);
      }
      if (!entries.some((entry) => entry.serial === summary.serial)) entries.push({ serial: summary.serial, revokedAt: now });
      revoked.push(summary);
    }
    const number = (existing?.number ?? 0) + 1;
    const nextUpdate = new Date(now.getTime() + days(argv) * 86_400_000);
    // The CRL is rewritten each time (its number grows): --force is implied for it.
    writePublicFile(path, encodeRevocationList(issuer, { number, entries }, now, nextUpdate), true);
    const result = { file: path, number, revoked: entries.map((entry) => ({ serial: entry.serial, revokedAt: entry.revokedAt.toISOString() })), nextUpdate: nextUpdate.toISOString() };
    print(argv, result, () => [
      `wrote ${path} (CRL number ${number}, ${entries.length} revoked, valid until ${result.nextUpdate})`,
      ...revoked.map((summary) => `  revoked ${summary.subject} (serial ${summary.serial})`),
      'Run radgate reload so the gateway reads it; write it again before it expires, or every client of this CA is refused.',
    ]);
  },
};

export const certsCommand: CommandModule<GlobalOptions, GlobalOptions> = {
  command: 'certs <action>',
  describe: 'Certificates for RADIUS over TLS: a private CA, server and client certificates, revocation',
  builder: (yargs) => yargs.command(ca).command(server).command(client).command(show).command(crl).demandCommand(1, 'name an action: ca, server, client, show, crl'),
  handler: () => undefined,
};
