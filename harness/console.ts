/**
 * The helpdesk console in tests: a self-signed certificate, the config section that turns
 * the console on, operators enrolled the way the console enrols them, and a small HTTPS
 * client with a cookie jar that reads the CSRF token off each page, for the checks that
 * need exact requests (the browser tests drive Chromium instead).
 */
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import forge from 'node-forge';
import type { OperatorRole } from '../src/credentials/operator-records.js';
import type { AdminAccess } from '../src/serve/admin-access.js';
import { totpAt } from './otp.js';
import { OPERATOR } from './stack.js';
import { tempDir } from './temp.js';
import { WebClient, type WebResponse } from './web-client.js';

export interface ConsoleCertificate {
  readonly certificateFile: string;
  readonly keyFile: string;
  readonly certificate: string;
}

/** A self-signed certificate for 127.0.0.1 (the key from node:crypto: forge's own RSA generation is slow). */
export function consoleCertificate(directory = tempDir('console-tls')): ConsoleCertificate {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const certificate = forge.pki.createCertificate();
  certificate.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString());
  certificate.serialNumber = '01';
  certificate.validity.notBefore = new Date(Date.now() - 60_000);
  certificate.validity.notAfter = new Date(Date.now() + 86_400_000);
  const subject = [{ name: 'commonName', value: 'radgate console test' }];
  certificate.setSubject(subject);
  certificate.setIssuer(subject);
  certificate.setExtensions([{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }]);
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  certificate.sign(forge.pki.privateKeyFromPem(keyPem), forge.md.sha256.create());
  const pem = forge.pki.certificateToPem(certificate);
  const certificateFile = join(directory, 'console.crt');
  const keyFile = join(directory, 'console.key');
  writeFileSync(certificateFile, pem);
  writeFileSync(keyFile, keyPem, { mode: 0o600 });
  return { certificateFile, keyFile, certificate: pem };
}

/** The `console:` section (top-level YAML for StackOptions.extra), on a free loopback port. */
export function consoleSection(tls: ConsoleCertificate, more = ''): string {
  return `console:\n  listen: "127.0.0.1:0"\n  certificate_file: ${tls.certificateFile}\n  key_file: ${tls.keyFile}\n${more}`;
}

export const OPERATOR_PASSWORD = 'correct horse battery staple';

export interface TestOperator {
  readonly name: string;
  readonly password: string;
  /** The otpauth:// URI of their second factor. */
  readonly uri: string;
  /** The last TOTP step used: a code is accepted once, so each sign-in takes a later one. */
  lastStep: number;
}

/** An operator with a password and an enrolled TOTP secret, as if they had signed in once already. */
export async function enrolledOperator(admin: AdminAccess, name: string, role: OperatorRole, nowMs = Date.now()): Promise<TestOperator> {
  await admin.operators.add(name, role, { password: OPERATOR_PASSWORD }, OPERATOR);
  const uri = await admin.operators.startEnrolment(name);
  const step = Math.floor(nowMs / 30_000) - 1;
  const enrolled = await admin.operators.completeEnrolment(name, totpAt(uri, nowMs, -1), { maxFailures: 100, lockoutMs: 0 }, 'test');
  if (!enrolled.ok) throw new Error(`could not enrol ${name}`);
  return { name, password: OPERATOR_PASSWORD, uri, lastStep: step };
}

/** A TOTP code of a step not used yet (now, then one step ahead: the console accepts one step of drift). */
export function nextCode(operator: TestOperator, nowMs = Date.now()): string {
  const now = Math.floor(nowMs / 30_000);
  const offset = operator.lastStep < now ? 0 : operator.lastStep === now ? 1 : undefined;
  if (offset === undefined) throw new Error(`${operator.name} signed in too often this half minute; give the test another operator`);
  operator.lastStep = now + offset;
  return totpAt(operator.uri, nowMs, offset);
}

/** The console's client: a browser's worth of cookies and CSRF tokens (web-client.ts), and the sign-in steps. */
export class ConsoleClient extends WebClient {
  constructor(
    port: number,
    certificate: string,
    jar: Map<string, string> = new Map(),
    /** The console's clock, for TOTP codes (a test's TestClock, or the real time). */
    private readonly clock: () => number = Date.now,
  ) {
    super(port, certificate, jar);
  }

  /** Another tab of the same browser: the same cookies, its own page. */
  tab(): ConsoleClient {
    return new ConsoleClient(this.port, this.certificate, this.jar, this.clock);
  }

  /** Another browser: no cookies. */
  otherBrowser(): ConsoleClient {
    return new ConsoleClient(this.port, this.certificate, new Map(), this.clock);
  }

  /** Password, then TOTP, as the sign-in pages ask; resolves with the last response (a redirect to /users when it worked). */
  async signIn(operator: TestOperator, password = operator.password): Promise<WebResponse> {
    await this.get('/login');
    const first = await this.post('/login', { name: operator.name, password });
    if (first.status !== 303) return first;
    await this.get('/login/code');
    return this.post('/login/code', { code: nextCode(operator, this.clock()) });
  }
}
