import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { compareConfigs } from '../../src/config/reload-diff.js';
import { consoleCertificate } from '../../harness/console.js';
import { parseWithSection, sectionProblems } from '../../harness/config.js';
import { tempDir } from '../../harness/temp.js';
import { DEFAULT_SELF_SERVICE_SETTINGS, selfServiceSettingsProblem } from '../../src/self-service/self-service-settings.js';

// The `self_service` section: off unless written, loopback :8444 by default, its
// certificate and key read at load, the reverse proxy's address checked like a client's,
// the code lifetime held to an online authorization code's bounds, and every bad value
// reported with its line and what to write instead.

/** The pages send codes by SMS: a self_service section needs an sms section beside it. */
const SMS = 'sms:\n  provider: webhook\n  webhook:\n    url: http://127.0.0.1:9/sms\n';
const SECTION = `${SMS}self_service:\n  certificate_file: console.crt\n  key_file: console.key\n`;

function withCertificate(): string {
  const directory = tempDir('self-service-config');
  consoleCertificate(directory);
  return directory;
}

test('without a self_service section there are no self-service pages', (t) => {
  t.is(parseWithSection('', tempDir('self-service-config')).selfService, undefined);
});

test('a section with a certificate and key: loopback :8444 and the documented defaults', (t) => {
  const directory = withCertificate();
  const config = parseWithSection(SECTION, directory);
  t.like(config.selfService, {
    listen: { host: '127.0.0.1', port: 8444, family: 4 },
    certificateFile: join(directory, 'console.crt'),
    keyFile: join(directory, 'console.key'),
    requestsPerSourcePerMinute: 10,
    trustedProxy: undefined,
    service: { answerMs: 1500, codeLifetime: '1d', requestsPerUserPerHour: 3 },
  });
  t.true(config.selfService!.certificate.includes('BEGIN CERTIFICATE'));
  t.is(parseWithSection(`${SECTION}  listen: off\n`, directory).selfService!.listen, undefined);
  t.like(parseWithSection(`${SECTION}  listen: "[::1]"\n`, directory).selfService!.listen, { host: '::1', port: 8444, family: 6 });
  const proxied = parseWithSection(`${SECTION}  trusted_proxy:\n    address: 10.0.0.6\n    header: X-Forwarded-For\n`, directory);
  t.deepEqual(proxied.selfService!.trustedProxy, { address: '10.0.0.6', header: 'x-forwarded-for' });
  t.like(parseWithSection(`${SECTION}  code_lifetime: 1month\n  answer_ms: 3000\n`, directory).selfService!.service, { codeLifetime: '1month', answerMs: 3000 });
});

test('bad values are each reported with their line and what to write', (t) => {
  const directory = tempDir('self-service-config');
  writeFileSync(join(directory, 'not-pem'), 'hello');
  const found = sectionProblems(
    [
      'self_service:',
      '  listen: "localhost:8444"',
      '  certificate_file: missing.crt',
      '  key_file: not-pem',
      '  trusted_proxy:',
      '    address: 10.0.0.1/8',
      '    header: X-Forwarded-For',
      '  code_lifetime: 2h',
      SMS,
    ].join('\n'),
    directory,
  );
  t.is(found.length, 5, found.join('\n'));
  t.regex(found.find((line) => line.includes('self_service.listen'))!, /^6 self_service\.listen: .*hostnames are not resolved.*or off/);
  t.regex(found.find((line) => line.includes('certificate_file'))!, /^7 .*cannot read .*missing\.crt: ENOENT/);
  t.regex(found.find((line) => line.includes('key_file'))!, /^8 .*holds no PEM private key/);
  t.regex(found.find((line) => line.includes('trusted_proxy'))!, /^10 .*host bits/);
  t.regex(found.find((line) => line.includes('code_lifetime'))!, /^12 self_service\.code_lifetime: an authorization code is valid 1 to 31 days, or 1month/);
});

test('the file and the actions agree on the service settings: the same defaults, the same bounds', (t) => {
  const directory = withCertificate();
  t.deepEqual(parseWithSection(SECTION, directory).selfService!.service, DEFAULT_SELF_SERVICE_SETTINGS, 'an empty section gets the actions\' defaults');
  const problem = (lines: string): string => sectionProblems(`${SECTION}${lines}`, directory).join('\n');
  const actions = (settings: Partial<typeof DEFAULT_SELF_SERVICE_SETTINGS>): string | undefined => selfServiceSettingsProblem({ ...DEFAULT_SELF_SERVICE_SETTINGS, ...settings });
  for (const [answerMs, allowed] of [[99, false], [100, true], [10_000, true], [10_001, false], [30_000, false]] as const) {
    t.is(problem(`  answer_ms: ${answerMs}\n`) === '', allowed, `the file, answer_ms ${answerMs}`);
    t.is(actions({ answerMs }) === undefined, allowed, `the actions, answerMs ${answerMs}`);
  }
  for (const [perHour, allowed] of [[0, false], [1, true], [100, true], [101, false]] as const) {
    t.is(problem(`  requests_per_user_per_hour: ${perHour}\n`) === '', allowed, `the file, requests_per_user_per_hour ${perHour}`);
    t.is(actions({ requestsPerUserPerHour: perHour }) === undefined, allowed, `the actions, requestsPerUserPerHour ${perHour}`);
  }
});

test('schema errors name the key and the allowed values', (t) => {
  const directory = withCertificate();
  const problem = (lines: string): string => sectionProblems(`${SECTION}${lines}`, directory).join('\n');
  t.regex(problem('  answer_ms: 50\n'), /self_service\.answer_ms.*100/);
  t.regex(problem('  answer_ms: fast\n'), /self_service\.answer_ms: must be a whole number/);
  t.regex(problem('  requests_per_source_per_minute: 0\n'), /self_service\.requests_per_source_per_minute.*1/);
  t.regex(problem('  requests_per_user_per_hour: 1000\n'), /self_service\.requests_per_user_per_hour.*100/);
  t.regex(problem('  code_lifetime: soon\n'), /self_service\.code_lifetime/);
  t.regex(problem('  trusted_proxy:\n    address: 10.0.0.6\n    header: "X-Forwarded-For: x"\n'), /self_service\.trusted_proxy\.header.*header name such as X-Forwarded-For/);
  t.regex(problem('  trusted_proxy:\n    address: 10.0.0.6\n'), /self_service\.trusted_proxy.*header/);
  t.regex(problem('  sms_to: "+4915"\n'), /self_service.*sms_to/);
  t.regex(sectionProblems(`${SMS}self_service:\n  certificate_file: a\n`, directory).join('\n'), /key_file/);
});

test('without an sms section the pages could send nothing: an error that says what to add', (t) => {
  const directory = withCertificate();
  t.deepEqual(sectionProblems('self_service:\n  certificate_file: console.crt\n  key_file: console.key\n', directory), [
    '6 self_service: sends codes by SMS: add an sms section with the provider (README "Self-service")',
  ]);
});

test('a reload applies a renewed certificate and the service settings; the listener\'s own settings need a restart, and a reload says so', (t) => {
  const directory = withCertificate();
  const before = parseWithSection(SECTION, directory);
  const after = parseWithSection(`${SECTION}  requests_per_source_per_minute: 3\n  answer_ms: 2000\n`, directory);
  t.deepEqual(compareConfigs(before, before, after), {
    applied: ['self_service.answer_ms, code_lifetime or requests_per_user_per_hour'],
    needRestart: ['self_service.requests_per_source_per_minute'],
  });
  consoleCertificate(directory);
  const renewed = parseWithSection(SECTION, directory);
  const changes = compareConfigs(before, before, renewed);
  t.deepEqual(changes.needRestart, []);
  t.true(changes.applied.includes('self_service.certificate_file'));
});
