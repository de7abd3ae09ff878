import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { patient, REPLY_WAIT_MS } from './patience.js';

export interface RadclientResult {
  /** 0 when the reply was the expected one (Accept for auth and status), 1 otherwise. */
  readonly exitCode: number;
  readonly output: string;
}

/**
 * Runs FreeRADIUS's `radclient` (Debian's freeradius-utils) as a real peer. The secret goes
 * through a file (-S), never the command line, where `ps` would show it.
 */
export function radclient(
  server: string,
  command: 'auth' | 'status',
  attributes: string,
  secret: Buffer,
  options: { ipv6?: boolean; timeoutSeconds?: number } = {},
): Promise<RadclientResult> {
  const directory = mkdtempSync(join(tmpdir(), 'radgate-radclient-'));
  const secretFile = join(directory, 'secret');
  writeFileSync(secretFile, secret, { mode: 0o600 });
  // One try, waiting as long as any reply in the tests may take (a busy machine).
  const args = ['-x', '-r', '1', '-t', String(options.timeoutSeconds ?? Math.ceil(REPLY_WAIT_MS / 1000)), '-S', secretFile];
  if (options.ipv6 === true) args.push('-6');
  args.push(server, command);
  return new Promise((resolve, reject) => {
    const child = execFile('radclient', args, { timeout: patient(15_000) }, (error, stdout, stderr) => {
      if (error !== null && typeof error.code !== 'number') {
        reject(new Error(`could not run radclient (install freeradius-utils): ${error.message}`));
        return;
      }
      resolve({ exitCode: error === null ? 0 : (error.code as number), output: `${stdout}${stderr}` });
    });
    child.stdin!.end(attributes);
  });
}
