/**
 * RadSec for the bench: a CA, the gateway's certificate and one client certificate
 * (`bench-nas`) made with src/certs — what `radgate certs` writes — the `radsec:` section
 * that uses them on a given port, and the TLS options the load generator connects with.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConnectionOptions } from 'node:tls';
import { createCa, issueCertificate, readIssuer } from '../src/certs/private-ca.js';

export const RADSEC_SECRET = Buffer.from('radsec');

export interface BenchRadsec {
  /** The `radsec:` section listening on 127.0.0.1:`port`. */
  section(port: number): string;
  readonly tls: ConnectionOptions;
}

export function makeBenchRadsec(directory: string): BenchRadsec {
  const ca = createCa('radgate bench CA', 30);
  const issuer = readIssuer(ca.certificatePem, ca.keyPem);
  const server = issueCertificate(issuer, 'server', 'localhost', { dns: ['localhost'], ip: ['127.0.0.1'] }, 30);
  const client = issueCertificate(issuer, 'client', 'bench-nas', { dns: ['bench-nas'], ip: [] }, 30);
  const file = (name: string, pem: string, mode: number): string => {
    const path = join(directory, name);
    writeFileSync(path, pem, { mode });
    return path;
  };
  const caFile = file('bench-ca.pem', ca.certificatePem, 0o644);
  const serverCert = file('bench-server.pem', server.certificatePem, 0o644);
  const serverKey = file('bench-server.key', server.keyPem, 0o600);
  return {
    section: (port) => `radsec:
  listen: ["127.0.0.1:${port}"]
  certificate_file: ${serverCert}
  key_file: ${serverKey}
  clients:
    - name: bench-nas
      ca_file: ${caFile}
      certificate_name: bench-nas
`,
    tls: { cert: client.certificatePem, key: client.keyPem, ca: ca.certificatePem, servername: 'localhost' },
  };
}
