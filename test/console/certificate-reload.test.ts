import { copyFileSync } from 'node:fs';
import { connect } from 'node:tls';
import test from 'ava';
import { consoleCertificate, consoleSection } from '../../harness/console.js';
import { patient } from '../../harness/patience.js';
import { startStack, type Stack } from '../../harness/stack.js';
import { tempDir } from '../../harness/temp.js';

// SPEC "Observability and operations": SIGHUP reloads certificates. A renewed console
// certificate is in use for the next connection, with no restart; a key that does not
// match its certificate changes nothing.

let stack: Stack;

test.after.always(async () => {
  await stack?.close();
});

function servedFingerprint(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false, timeout: patient(5000) }, () => {
      resolve(socket.getPeerCertificate().fingerprint256);
      socket.end();
    });
    socket.on('error', reject);
  });
}

test('a renewed certificate is used after SIGHUP; a mismatched key is refused and changes nothing', async (t) => {
  const directory = tempDir('console-tls');
  const tls = consoleCertificate(directory);
  stack = await startStack({ extra: consoleSection(tls) });
  const serve = await stack.startServe();
  const port = serve.consolePort!;
  const before = await servedFingerprint(port);

  consoleCertificate(directory);
  process.kill(serve.pid, 'SIGHUP');
  await serve.logged('the new certificate', (line) => line.msg === 'console: new certificate in use', 1, patient(5000));
  const after = await servedFingerprint(port);
  t.not(after, before);
  const reloaded = serve.lines.find((line) => line.includes('"outcome":"reloaded"'))!;
  t.regex(reloaded, /console\.certificate_file/);
  t.false(serve.lines.some((line) => line.includes('restart_needed')), 'no restart asked for');

  // The key of one certificate with another's certificate: refused, the one in use stays.
  const other = consoleCertificate(tempDir('console-tls'));
  copyFileSync(other.keyFile, tls.keyFile);
  process.kill(serve.pid, 'SIGHUP');
  await serve.logged('the refusal', (line) => line.outcome === 'refused', 1, patient(5000));
  t.is(await servedFingerprint(port), after);
});
