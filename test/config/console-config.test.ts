import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { compareConfigs } from '../../src/config/reload-diff.js';
import type { RadgateConfig } from '../../src/config/types.js';
import { consoleCertificate } from '../../harness/console.js';
import { parseWithSection, sectionProblems } from '../../harness/config.js';
import { tempDir } from '../../harness/temp.js';

// The `console` section: off unless written, loopback :8443 by default, its certificate and
// key read at load (so `config check` finds a typo with its line), and the trusted proxy's
// address checked like a client's.

const parse = (extra: string, baseDir = tempDir('console-config')): RadgateConfig => parseWithSection(extra, baseDir);
const problems = (extra: string, baseDir = tempDir('console-config')): string[] => sectionProblems(extra, baseDir);

test('without a console section there is no console', (t) => {
  t.is(parse('').console, undefined);
});

test('a console section with a certificate and key: loopback :8443, the documented defaults', (t) => {
  const directory = tempDir('console-config');
  consoleCertificate(directory);
  const config = parse('console:\n  certificate_file: console.crt\n  key_file: console.key\n', directory);
  t.like(config.console, {
    listen: { host: '127.0.0.1', port: 8443, family: 4 },
    certificateFile: join(directory, 'console.crt'),
    sessionIdleSeconds: 900,
    sessionMaxSeconds: 28800,
    loginMaxFailures: 5,
    loginLockoutSeconds: 900,
    loginAttemptsPerSourcePerMinute: 10,
    trustedProxy: undefined,
  });
  t.true(config.console!.certificate.includes('BEGIN CERTIFICATE'));
  t.is(parse('console:\n  listen: off\n  certificate_file: console.crt\n  key_file: console.key\n', directory).console!.listen, undefined);
  t.like(parse('console:\n  listen: "[::1]"\n  certificate_file: console.crt\n  key_file: console.key\n', directory).console!.listen, { host: '::1', port: 8443 });
});

test('a missing certificate, a file that is not PEM, a bad proxy address and a bad listen are each reported with their line', (t) => {
  const directory = tempDir('console-config');
  writeFileSync(join(directory, 'not-pem'), 'hello');
  const found = problems(
    'console:\n  listen: "localhost:8443"\n  certificate_file: missing.crt\n  key_file: not-pem\n  trusted_proxy:\n    address: 10.0.0.1/8\n    header: X-Remote-User\n  session:\n    idle_seconds: 3600\n    max_seconds: 600\n',
    directory,
  );
  t.is(found.length, 5, found.join('\n'));
  t.regex(found.find((line) => line.includes('console.listen'))!, /^6 console\.listen: .*hostnames are not resolved.*or off/);
  t.regex(found.find((line) => line.includes('certificate_file'))!, /^7 .*cannot read .*missing\.crt: ENOENT/);
  t.regex(found.find((line) => line.includes('key_file'))!, /^8 .*holds no PEM private key/);
  t.regex(found.find((line) => line.includes('trusted_proxy'))!, /^10 .*host bits/);
  t.regex(found.find((line) => line.includes('max_seconds'))!, /below idle_seconds/);
  t.regex(problems('console:\n  certificate_file: a\n')[0]!, /key_file/);
});

test('a changed console section needs a restart; a reload says so', (t) => {
  const directory = tempDir('console-config');
  consoleCertificate(directory);
  const before = parse('console:\n  certificate_file: console.crt\n  key_file: console.key\n', directory);
  const after = parse('console:\n  certificate_file: console.crt\n  key_file: console.key\n  login:\n    max_failures: 3\n', directory);
  t.deepEqual(compareConfigs(before, before, after).needRestart, ['console.login_max_failures']);
});
