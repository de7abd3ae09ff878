// Over 400 lines: one test per rule of the config loader, so its whole contract reads in one place.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { ConfigError } from '../../src/config/errors.js';
import { loadConfigFile, parseConfig } from '../../src/config/load.js';
import { configSchema } from '../../src/config/schema.js';
import type { RadgateConfig } from '../../src/config/types.js';

// Compiled to dist/test/config/, three levels below the repository root.
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const SECRET = 'a-long-enough-shared-secret';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'radgate-config-'));
}

function parse(text: string, options: { baseDir?: string; env?: NodeJS.ProcessEnv } = {}): RadgateConfig {
  return parseConfig(text, { source: 'radgate.yaml', baseDir: options.baseDir ?? tempDir(), env: options.env ?? {} });
}

function fail(text: string, options: { baseDir?: string; env?: NodeJS.ProcessEnv } = {}): ConfigError {
  let caught: unknown;
  try {
    parse(text, options);
  } catch (error) {
    caught = error;
  }
  if (!(caught instanceof ConfigError)) throw new Error(`expected a ConfigError, got ${String(caught)}`);
  return caught;
}

/** A config with one client; `client` lines are indented into it. */
function oneClient(client: string, extra = ''): string {
  return `clients:\n  - name: vpn1\n${client
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n')}\n${extra}`;
}

const minimal = oneClient(`address: 10.0.0.0/24\nsecret: ${SECRET}`);

// --- defaults and mapping ---

test('a minimal file gets every default', (t) => {
  const config = parse(minimal);
  t.is(config.source, 'radgate.yaml');
  t.deepEqual(config.listen, [
    { host: '0.0.0.0', port: 1812, family: 4 },
    { host: '::', port: 1812, family: 6 },
  ]);
  t.deepEqual(config.replyCache, { ttlSeconds: 10, maxEntries: 100000 });
  t.is(config.requestTimeoutMs, 3000);
  t.deepEqual(config.log, { level: 'info', format: 'auto' });
  t.true(isAbsolute(config.dictionaryDir));
  t.is(config.dictionaryDir, join(repoRoot, 'dictionaries'));
  const [client] = config.clients;
  t.is(client?.name, 'vpn1');
  t.is(client?.address, '10.0.0.0/24');
  t.deepEqual(client?.secret, Buffer.from(SECRET));
  t.is(client?.secretSource, 'inline');
  t.true(client?.requireMessageAuthenticator);
  t.true(client?.limitProxyState);
  t.false(client?.allowWeakSecret);
});

test('explicit settings are mapped to camelCase', (t) => {
  const dir = tempDir();
  mkdirSync(join(dir, 'dicts'));
  // A dictionary folder of one's own: the shipped dictionaries, included from it.
  writeFileSync(join(dir, 'dicts', 'dictionary'), `$INCLUDE ${join(repoRoot, 'dictionaries', 'dictionary')}\n`);
  const config = parse(
    `${oneClient(
      `address: "2001:db8::/32"\nsecret: ${SECRET}\nrequire_message_authenticator: false\nlimit_proxy_state: false`,
    )}dictionary_dir: dicts
reply_cache:
  ttl_seconds: 30
  max_entries: 1000
request_timeout_ms: 100
log:
  level: silent
`,
    { baseDir: dir },
  );
  t.is(config.dictionaryDir, join(dir, 'dicts'));
  t.deepEqual(config.replyCache, { ttlSeconds: 30, maxEntries: 1000 });
  t.is(config.requestTimeoutMs, 100);
  t.is(config.log.level, 'silent');
  t.false(config.clients[0]?.requireMessageAuthenticator);
  t.false(config.clients[0]?.limitProxyState);
});

test('the result is deeply frozen', (t) => {
  const config = parse(minimal);
  t.true(Object.isFrozen(config));
  t.true(Object.isFrozen(config.listen));
  t.true(Object.isFrozen(config.listen[0]));
  t.true(Object.isFrozen(config.clients));
  t.true(Object.isFrozen(config.clients[0]));
  t.true(Object.isFrozen(config.replyCache));
  t.true(Object.isFrozen(config.log));
  t.throws(() => {
    (config as { requestTimeoutMs: number }).requestTimeoutMs = 1;
  }, { instanceOf: TypeError });
  t.throws(() => {
    (config.clients as ClientArray).push(config.clients[0]!);
  }, { instanceOf: TypeError });
});
type ClientArray = RadgateConfig['clients'][number][];

// --- YAML syntax ---

test('a YAML syntax error gives line and column', (t) => {
  const error = fail('clients:\n  - name: vpn1\n    address: 10.0.0.0/24: x\n');
  t.is(error.code, 'RADGATE_CONFIG_SYNTAX');
  t.is(error.path, '');
  t.is(error.line, 3);
  t.is(error.issues[0]?.column, 14);
  t.is(error.message, 'radgate.yaml:3:14: Nested mappings are not allowed in compact mappings');
});

test('a tab used for indentation is a syntax error on its line', (t) => {
  const error = fail('clients:\n  - name: vpn1\n\taddress: 10.0.0.0/24\n');
  t.is(error.code, 'RADGATE_CONFIG_SYNTAX');
  t.is(error.line, 3);
  t.regex(error.message, /^radgate\.yaml:3:1: Tabs are not allowed/);
});

test('a duplicate key is a syntax error on its line', (t) => {
  const error = fail(`clients:\n  - name: vpn1\n    address: 10.0.0.0/24\n    name: vpn2\n    secret: ${SECRET}\n`);
  t.is(error.code, 'RADGATE_CONFIG_SYNTAX');
  t.is(error.line, 4);
});

test('an unknown tag is an error, not a silently shortened value', (t) => {
  const error = fail(oneClient('address: 10.0.0.0/24\nsecret: !abcdefgh 0123456789abcdef'));
  t.is(error.code, 'RADGATE_CONFIG_SYNTAX');
  t.is(error.line, 4);
  t.regex(error.message, /unknown tag; a value starting with ! must be quoted/);
});

test('an undefined alias is a syntax error on its line', (t) => {
  const error = fail(oneClient('address: 10.0.0.0/24\nsecret: *abcdefgh0123456789'));
  t.is(error.code, 'RADGATE_CONFIG_SYNTAX');
  t.is(error.line, 4);
  t.regex(error.message, /refers to no anchor/);
});

test('anchors and aliases work, within limits', (t) => {
  const config = parse(`clients:
  - name: a
    address: 10.0.0.0/24
    secret: &shared ${SECRET}
  - name: b
    address: 10.0.1.0/24
    secret: *shared
`);
  t.deepEqual(config.clients[1]?.secret, Buffer.from(SECRET));
  const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < 8; i++) bomb.push(`${'b'.repeat(i)}: &${'a'.repeat(i + 1)} [${Array(10).fill(`*${'a'.repeat(i)}`).join(', ')}]`);
  const error = fail(`${bomb.join('\n')}\n`);
  t.is(error.code, 'RADGATE_CONFIG_SYNTAX');
  t.regex(error.message, /too many nodes/);
});

test('an empty file says clients is required', (t) => {
  const error = fail('# nothing yet\n');
  t.is(error.code, 'RADGATE_CONFIG_INVALID');
  t.regex(error.message, /clients is required/);
});

test('a file that is not a mapping is refused', (t) => {
  const error = fail('- just\n- a list\n');
  t.is(error.code, 'RADGATE_CONFIG_INVALID');
  t.is(error.line, 1);
  t.regex(error.message, /must be a mapping/);
});

// --- schema errors ---

test('an unknown top-level key names the key and line and suggests the right one', (t) => {
  const error = fail(`${minimal}request_timout_ms: 100\n`);
  t.is(error.code, 'RADGATE_CONFIG_INVALID');
  t.is(error.path, 'request_timout_ms');
  t.is(error.line, 5);
  t.is(error.message, 'radgate.yaml:5: request_timout_ms: unknown key; did you mean request_timeout_ms?');
});

test('an unknown key inside a client names its path and line', (t) => {
  const error = fail(oneClient(`address: 10.0.0.0/24\nsecret: ${SECRET}\nrequire_message_auth: true`));
  t.is(error.path, 'clients[0].require_message_auth');
  t.is(error.line, 5);
  t.regex(error.message, /did you mean require_message_authenticator\?/);
});

test('an unknown key without a near miss lists the known keys', (t) => {
  const error = fail(`${minimal}colour: blue\n`);
  t.regex(error.message, /unknown key; known keys here: listen, clients, dictionary_dir/);
});

test('a wrong type names the key, the line and the expected type', (t) => {
  const error = fail(`${minimal}request_timeout_ms: fast\n`);
  t.is(error.code, 'RADGATE_CONFIG_INVALID');
  t.is(error.path, 'request_timeout_ms');
  t.is(error.line, 5);
  t.is(error.message, 'radgate.yaml:5: request_timeout_ms: must be a whole number, not "fast"');
});

test('yes is not a boolean in YAML 1.2', (t) => {
  const error = fail(oneClient(`address: 10.0.0.0/24\nsecret: ${SECRET}\nrequire_message_authenticator: yes`));
  t.is(error.path, 'clients[0].require_message_authenticator');
  t.is(error.line, 5);
  t.regex(error.message, /must be true or false, not "yes"/);
});

test('out-of-range numbers and bad enums are reported with their limits', (t) => {
  const error = fail(`${minimal}reply_cache:\n  ttl_seconds: 60\n  max_entries: 10\nlog:\n  level: verbose\n`);
  t.deepEqual(
    error.issues.map((issue) => [issue.path, issue.line, issue.problem]),
    [
      ['reply_cache.ttl_seconds', 6, 'must be at most 30, not 60'],
      ['reply_cache.max_entries', 7, 'must be at least 1000, not 10'],
      ['log.level', 9, 'must be one of fatal, error, warn, info, debug, trace, silent, not "verbose"'],
    ],
  );
});

test('every schema error is reported, one per line, the first in .line', (t) => {
  const error = fail(`listen: []\nclients:\n  - address: 10.0.0.0/24\n    secret: ${SECRET}\nlog:\n  level: loud\n`);
  t.is(error.issues.length, 3);
  t.is(error.message.split('\n').length, 3);
  t.is(error.line, 1);
  t.is(error.path, 'listen');
  t.deepEqual(
    error.issues.map((issue) => issue.path),
    ['listen', 'clients[0].name', 'log.level'],
  );
  t.regex(error.message, /^radgate\.yaml:3: clients\[0\]\.name: is required$/m);
});

test('clients is required and must not be empty', (t) => {
  t.is(fail('log:\n  level: info\n').path, 'clients');
  const empty = fail('clients: []\n');
  t.is(empty.path, 'clients');
  t.is(empty.line, 1);
  t.regex(empty.message, /at least 1 entry/);
});

test('a client name with spaces is refused with a readable rule', (t) => {
  const error = fail(`clients:\n  - name: my vpn\n    address: 10.0.0.0/24\n    secret: ${SECRET}\n`);
  t.is(error.path, 'clients[0].name');
  t.is(error.line, 2);
  t.regex(error.message, /must be 1 to 64 letters, digits/);
});

// --- client addresses ---

test('host bits set is refused with the network to write instead', (t) => {
  const error = fail(oneClient(`address: 10.0.0.1/24\nsecret: ${SECRET}`));
  t.is(error.code, 'RADGATE_CONFIG_INVALID');
  t.is(error.path, 'clients[0].address');
  t.is(error.line, 3);
  t.is(error.message, 'radgate.yaml:3: clients[0].address: "10.0.0.1/24" has host bits set; write 10.0.0.0/24');
});

test('IPv6 host bits set is refused too', (t) => {
  const error = fail(oneClient(`address: "2001:db8::1/64"\nsecret: ${SECRET}`));
  t.regex(error.message, /"2001:db8::1\/64" has host bits set; write 2001:db8::\/64$/);
});

for (const address of ['10.0.0.300', '10.0.0.0/33', '"2001:db8::/129"', 'vpn.example.com', '10.0.0.0/', '"fe80::1%eth0"']) {
  test(`a bad client address is refused: ${address}`, (t) => {
    const error = fail(oneClient(`address: ${address}\nsecret: ${SECRET}`));
    t.is(error.code, 'RADGATE_CONFIG_INVALID');
    t.is(error.path, 'clients[0].address');
    t.is(error.line, 3);
  });
}

test('bare addresses and networks of both families are accepted', (t) => {
  const config = parse(`clients:
  - name: a
    address: 192.0.2.7
    secret: ${SECRET}
  - name: b
    address: ::1
    secret: ${SECRET}
  - name: c
    address: "::ffff:192.0.2.0/120"
    secret: ${SECRET}
  - name: d
    address: 0.0.0.0/0
    secret: ${SECRET}
`);
  t.deepEqual(
    config.clients.map((c) => c.address),
    ['192.0.2.7', '::1', '::ffff:192.0.2.0/120', '0.0.0.0/0'],
  );
});

test('two clients with the same network are refused', (t) => {
  const error = fail(`clients:
  - name: a
    address: 192.0.2.7
    secret: ${SECRET}
  - name: b
    address: 192.0.2.7/32
    secret: ${SECRET}
`);
  t.is(error.path, 'clients[1].address');
  t.is(error.line, 6);
  t.regex(error.message, /same network as clients\[0\] on line 3/);
});

test('overlapping but different networks are allowed (most specific wins)', (t) => {
  const config = parse(`clients:
  - name: a
    address: 10.0.0.0/8
    secret: ${SECRET}
  - name: b
    address: 10.1.0.0/16
    secret: ${SECRET}
`);
  t.is(config.clients.length, 2);
});

test('duplicate client names are refused', (t) => {
  const error = fail(`clients:
  - name: vpn
    address: 10.0.0.0/24
    secret: ${SECRET}
  - name: vpn
    address: 10.0.1.0/24
    secret: ${SECRET}
`);
  t.is(error.code, 'RADGATE_CONFIG_INVALID');
  t.is(error.path, 'clients[1].name');
  t.is(error.line, 5);
  t.regex(error.message, /"vpn" is already the name of clients\[0\] on line 2/);
});

// --- secrets ---

test('a client without a secret is refused', (t) => {
  const error = fail(oneClient('address: 10.0.0.0/24'));
  t.is(error.code, 'RADGATE_CONFIG_INVALID');
  t.is(error.path, 'clients[0]');
  t.is(error.line, 2);
  t.regex(error.message, /set one of secret, secret_file or secret_env/);
});

test('a client with two secrets is refused', (t) => {
  const error = fail(oneClient(`address: 10.0.0.0/24\nsecret: ${SECRET}\nsecret_env: VPN1_SECRET`), {
    env: { VPN1_SECRET: SECRET },
  });
  t.is(error.code, 'RADGATE_CONFIG_INVALID');
  t.is(error.path, 'clients[0].secret_env');
  t.is(error.line, 5);
  t.regex(error.message, /set only one of secret, secret_file and secret_env/);
});

test('a weak secret is refused with the documented message', (t) => {
  const error = fail(oneClient('address: 10.0.0.0/24\nsecret: short'));
  t.is(error.code, 'RADGATE_CONFIG_SECRET');
  t.is(error.path, 'clients[0]');
  t.is(error.line, 4);
  t.is(
    error.message,
    'radgate.yaml:4: clients[0]: shared secret is shorter than 16 characters; use a longer one or set allow_weak_secret: true',
  );
});

test('15 characters is weak, 16 is not', (t) => {
  t.is(fail(oneClient('address: 10.0.0.0/24\nsecret: 12345678901234a')).code, 'RADGATE_CONFIG_SECRET');
  t.is(parse(oneClient('address: 10.0.0.0/24\nsecret: "1234567890123456"')).clients[0]?.secret.length, 16);
});

test('a weak secret is accepted when allow_weak_secret is true', (t) => {
  const config = parse(oneClient('address: 10.0.0.0/24\nsecret: short\nallow_weak_secret: true'));
  t.deepEqual(config.clients[0]?.secret, Buffer.from('short'));
  t.true(config.clients[0]?.allowWeakSecret);
});

test('an empty secret is refused even with allow_weak_secret', (t) => {
  const error = fail(oneClient('address: 10.0.0.0/24\nsecret: ""\nallow_weak_secret: true'));
  t.is(error.code, 'RADGATE_CONFIG_SECRET');
  t.is(error.path, 'clients[0].secret');
});

test('secret_file is read, relative to the config folder, minus one trailing newline', (t) => {
  const dir = tempDir();
  mkdirSync(join(dir, 'secrets'));
  writeFileSync(join(dir, 'secrets', 'lf.secret'), `${SECRET}\n`);
  writeFileSync(join(dir, 'secrets', 'crlf.secret'), `${SECRET}\r\n`);
  writeFileSync(join(dir, 'secrets', 'two.secret'), `${SECRET}\n\n`);
  writeFileSync(join(dir, 'secrets', 'none.secret'), SECRET);
  const config = parse(
    ['lf', 'crlf', 'two', 'none']
      .map((name, i) => `  - name: ${name}\n    address: 10.0.${i}.0/24\n    secret_file: secrets/${name}.secret\n`)
      .reduce((text, client) => text + client, 'clients:\n'),
    { baseDir: dir },
  );
  t.deepEqual(
    config.clients.map((c) => c.secret.toString()),
    [SECRET, SECRET, `${SECRET}\n`, SECRET],
  );
  t.is(config.clients[0]?.secretSource, `file ${join(dir, 'secrets', 'lf.secret')}`);
});

test('an unreadable secret_file names the key and the path, not the secret', (t) => {
  const dir = tempDir();
  const error = fail(
    `clients:
  - name: a
    address: 10.0.0.0/24
    secret: ${SECRET}
  - name: b
    address: 10.0.1.0/24
    secret_file: missing.secret
`,
    { baseDir: dir },
  );
  t.is(error.code, 'RADGATE_CONFIG_SECRET');
  t.is(error.path, 'clients[1].secret_file');
  t.is(error.line, 7);
  t.is(error.message, `radgate.yaml:7: clients[1].secret_file: cannot read ${join(dir, 'missing.secret')}: ENOENT`);
});

test('a secret_file that is a directory is refused', (t) => {
  const dir = tempDir();
  const error = fail(oneClient('address: 10.0.0.0/24\nsecret_file: .'), { baseDir: dir });
  t.is(error.code, 'RADGATE_CONFIG_SECRET');
  t.regex(error.message, /EISDIR/);
});

test('a weak secret from a file is refused too', (t) => {
  const dir = tempDir();
  writeFileSync(join(dir, 'weak'), 'short\n');
  const error = fail(oneClient('address: 10.0.0.0/24\nsecret_file: weak'), { baseDir: dir });
  t.is(error.code, 'RADGATE_CONFIG_SECRET');
  t.is(error.path, 'clients[0]');
  t.is(error.line, 4);
});

test('secret_env reads the named variable', (t) => {
  const config = parse(oneClient('address: 10.0.0.0/24\nsecret_env: VPN1_SECRET'), { env: { VPN1_SECRET: SECRET } });
  t.deepEqual(config.clients[0]?.secret, Buffer.from(SECRET));
  t.is(config.clients[0]?.secretSource, 'env VPN1_SECRET');
});

test('a missing or empty secret_env variable is named in the error', (t) => {
  const missing = fail(oneClient('address: 10.0.0.0/24\nsecret_env: VPN1_SECRET'), { env: {} });
  t.is(missing.code, 'RADGATE_CONFIG_SECRET');
  t.is(missing.path, 'clients[0].secret_env');
  t.is(missing.line, 4);
  t.is(missing.message, 'radgate.yaml:4: clients[0].secret_env: environment variable VPN1_SECRET is not set');
  const empty = fail(oneClient('address: 10.0.0.0/24\nsecret_env: VPN1_SECRET'), { env: { VPN1_SECRET: '' } });
  t.is(empty.code, 'RADGATE_CONFIG_SECRET');
  t.regex(empty.message, /environment variable VPN1_SECRET is empty/);
});

test('a secret_env that is not a variable name is refused', (t) => {
  const error = fail(oneClient('address: 10.0.0.0/24\nsecret_env: "$VPN1_SECRET"'));
  t.is(error.code, 'RADGATE_CONFIG_INVALID');
  t.is(error.path, 'clients[0].secret_env');
  t.regex(error.message, /must be the name of an environment variable/);
});

test('a secret value never appears in any error message', (t) => {
  const value = 'Zq9-never-show-this-secret';
  const dir = tempDir();
  writeFileSync(join(dir, 'weak'), 'Zq9weak\n');
  const cases: { text: string; env?: NodeJS.ProcessEnv; shown: string }[] = [
    // wrong types
    { text: oneClient(`address: 10.0.0.0/24\nsecret: [${value}]`), shown: value },
    { text: oneClient(`address: 10.0.0.0/24\nsecret: {${value}: 1}`), shown: value },
    { text: oneClient('address: 10.0.0.0/24\nsecret: 98765432109876543210987'), shown: '98765432109876543210987' },
    { text: oneClient('address: 10.0.0.0/24\nsecret: 1234567'), shown: '1234567' },
    { text: oneClient('address: 10.0.0.0/24\nsecret: true'), shown: 'true' },
    { text: oneClient('address: 10.0.0.0/24\nsecret_file: 31337'), shown: '31337' },
    // weak, empty and doubled secrets
    { text: oneClient('address: 10.0.0.0/24\nsecret: Zq9weak'), shown: 'Zq9weak' },
    { text: oneClient('address: 10.0.0.0/24\nsecret_file: weak'), shown: 'Zq9weak' },
    { text: oneClient('address: 10.0.0.0/24\nsecret_env: S'), env: { S: 'Zq9weak' }, shown: 'Zq9weak' },
    { text: oneClient(`address: 10.0.0.0/24\nsecret: ${value}\nsecret_env: S`), env: { S: value }, shown: value },
    // a secret beside other errors
    { text: oneClient(`address: 10.0.0.1/24\nsecret: ${value}\nbogus: 1`), shown: value },
    // "secret:VALUE" without a space is one string, where a mapping belongs
    { text: `clients:\n  - secret:${value}\n`, shown: value },
    { text: `clients:\n  - name: a\n    address: 10.0.0.0/24\n    - secret:${value}\n`, shown: value },
    // syntax errors on the secret's line
    { text: oneClient(`address: 10.0.0.0/24\nsecret: "${value}`), shown: value },
    { text: oneClient(`address: 10.0.0.0/24\nsecret: "Zq9\\q${value}"`), shown: 'Zq9' },
    { text: oneClient(`address: 10.0.0.0/24\nsecret: |${value}\n  x`), shown: value },
    { text: oneClient(`address: 10.0.0.0/24\nsecret: '${value}' trailing`), shown: value },
    // YAML indicators at the start of an unquoted secret
    { text: oneClient(`address: 10.0.0.0/24\nsecret: !${value}`), shown: value },
    { text: oneClient(`address: 10.0.0.0/24\nsecret: !${value} rest-of-the-secret`), shown: value },
    { text: oneClient(`address: 10.0.0.0/24\nsecret: !!${value}`), shown: value },
    { text: oneClient(`address: 10.0.0.0/24\nsecret: *${value}`), shown: value },
    { text: oneClient(`address: 10.0.0.0/24\nsecret: [a, *${value}]`), shown: value },
    { text: oneClient(`address: 10.0.0.0/24\nsecret: &${value}`), shown: value },
    { text: oneClient(`address: 10.0.0.0/24\nsecret: @${value}`), shown: value },
    { text: oneClient(`address: 10.0.0.0/24\nsecret: ${value}: x`), shown: value },
  ];
  for (const { text, env, shown } of cases) {
    const error = fail(text, { baseDir: dir, env: env ?? {} });
    t.false(error.message.includes(shown), `${JSON.stringify(text)} leaked into: ${error.message}`);
    t.false(JSON.stringify(error.issues).includes(shown));
  }
});

// --- listen ---

test('listen strings of every form are parsed', (t) => {
  const config = parse(`listen:
  - "0.0.0.0:1812"
  - "[::]:11812"
  - "[::1]:0"
  - "[::1]:0"
  - 127.0.0.1
  - "[fe80::1]"
  - ":1645"
${minimal}`);
  t.deepEqual(config.listen, [
    { host: '0.0.0.0', port: 1812, family: 4 },
    { host: '::', port: 11812, family: 6 },
    { host: '::1', port: 0, family: 6 },
    { host: '::1', port: 0, family: 6 },
    { host: '127.0.0.1', port: 1812, family: 4 },
    { host: 'fe80::1', port: 1812, family: 6 },
    { host: '0.0.0.0', port: 1645, family: 4 },
    { host: '::', port: 1645, family: 6 },
  ]);
});

for (const [text, problem] of [
  ['"127.0.0.1:65536"', /invalid port; a port is 0 to 65535/],
  ['"[::1]:99999"', /invalid port/],
  ['"[::1]:"', /invalid port/],
  ['"127.0.0.1:-1"', /invalid port/],
  ['"127.0.0.1:1812x"', /invalid port/],
  ['"::1"', /put IPv6 addresses in brackets, e\.g\. "\[::1\]:1812"/],
  ['"localhost:1812"', /hostnames are not resolved/],
  ['"[::1"', /without a closing "\]"/],
  ['"[127.0.0.1]:1812"', /not an IPv6 address/],
  ['"[::1]1812"', /expected ":PORT"/],
  ['"256.0.0.1:1812"', /not "IP:PORT"/],
] as const) {
  test(`a bad listen string is refused: ${text}`, (t) => {
    const error = fail(`listen:\n  - "0.0.0.0:1812"\n  - ${text}\n${minimal}`);
    t.is(error.code, 'RADGATE_CONFIG_INVALID');
    t.is(error.path, 'listen[1]');
    t.is(error.line, 3);
    t.regex(error.message, problem);
  });
}

test('an unquoted [IPv6]:port in listen gets a hint', (t) => {
  const error = fail(`listen:\n  - [::1]\n${minimal}`);
  t.is(error.path, 'listen[0]');
  t.regex(error.message, /quote IPv6 listen addresses/);
});

test('the same address and port listed twice is refused', (t) => {
  const error = fail(`listen:\n  - ":1812"\n  - "[0::0]:1812"\n${minimal}`);
  t.is(error.path, 'listen[1]');
  t.is(error.line, 3);
  t.regex(error.message, /repeats listen\[0\]/);
});

// --- dictionary_dir ---

test('a configured dictionary_dir must exist', (t) => {
  const dir = tempDir();
  const error = fail(`${minimal}dictionary_dir: ./nope\n`, { baseDir: dir });
  t.is(error.path, 'dictionary_dir');
  t.is(error.line, 5);
  t.is(error.message, `radgate.yaml:5: dictionary_dir: cannot read ${join(dir, 'nope')}: ENOENT`);
});

test('a configured dictionary_dir must hold a dictionary: its problem is reported with the key', (t) => {
  const dir = tempDir();
  mkdirSync(join(dir, 'empty'));
  const error = fail(`${minimal}dictionary_dir: ./empty\n`, { baseDir: dir });
  t.is(error.path, 'dictionary_dir');
  t.regex(error.message, /dictionary_dir: .*empty\/dictionary: cannot read .*ENOENT/);
});

test('the dictionaries are loaded once, by the loader, and handed out with the config', (t) => {
  const config = parse(oneClient(`address: 10.0.0.0/24\nsecret: ${SECRET}`));
  t.true(config.dictionary.attributeCount > 100);
  t.truthy(config.dictionary.attributeByName('Fortinet-Group-Name'));
});

// --- files ---

test('loadConfigFile reads the file and resolves paths beside it', (t) => {
  const dir = tempDir();
  writeFileSync(join(dir, 'vpn.secret'), `${SECRET}\n`);
  writeFileSync(join(dir, 'radgate.yaml'), oneClient('address: 10.0.0.0/24\nsecret_file: vpn.secret'));
  const config = loadConfigFile(join(dir, 'radgate.yaml'), {});
  t.is(config.source, join(dir, 'radgate.yaml'));
  t.deepEqual(config.clients[0]?.secret, Buffer.from(SECRET));
});

test('an unreadable config file has its own code', (t) => {
  const path = join(tempDir(), 'absent.yaml');
  const error = t.throws(() => loadConfigFile(path, {}), { instanceOf: ConfigError });
  t.is(error?.code, 'RADGATE_CONFIG_UNREADABLE');
  t.is(error?.line, undefined);
  t.is(error?.message, `${path}: cannot read the file: ENOENT`);
});

test('errors in a file name the file', (t) => {
  const dir = tempDir();
  writeFileSync(join(dir, 'radgate.yaml'), oneClient(`address: 10.0.0.1/24\nsecret: ${SECRET}`));
  const error = t.throws(() => loadConfigFile(join(dir, 'radgate.yaml'), {}), { instanceOf: ConfigError });
  t.true(error?.message.startsWith(`${join(dir, 'radgate.yaml')}:3: clients[0].address: `));
});

test('the example configuration loads when its secrets exist', (t) => {
  const dir = tempDir();
  writeFileSync(join(dir, 'radgate.yaml'), readFileSync(join(repoRoot, 'config', 'radgate.example.yaml')));
  mkdirSync(join(dir, 'secrets'));
  writeFileSync(join(dir, 'secrets', 'vpn-concentrators.secret'), `${SECRET}\n`);
  const config = loadConfigFile(join(dir, 'radgate.yaml'), { RADGATE_FIREWALL_SECRET: SECRET });
  t.deepEqual(
    config.clients.map((c) => [c.name, c.address, c.secretSource]),
    [
      ['vpn-concentrators', '10.20.0.0/24', `file ${join(dir, 'secrets', 'vpn-concentrators.secret')}`],
      ['firewall-ipv6', '2001:db8:40::10/128', 'env RADGATE_FIREWALL_SECRET'],
    ],
  );
  // Everything else in the example is the documented default.
  const defaults = parse(minimal);
  t.deepEqual(config.listen, defaults.listen);
  t.deepEqual(config.replyCache, defaults.replyCache);
  t.is(config.requestTimeoutMs, defaults.requestTimeoutMs);
  t.deepEqual(config.log, defaults.log);
  t.is(config.dictionaryDir, defaults.dictionaryDir);
});

test('the example configuration refuses to start without its env secret', (t) => {
  const dir = tempDir();
  writeFileSync(join(dir, 'radgate.yaml'), readFileSync(join(repoRoot, 'config', 'radgate.example.yaml')));
  mkdirSync(join(dir, 'secrets'));
  writeFileSync(join(dir, 'secrets', 'vpn-concentrators.secret'), `${SECRET}\n`);
  const error = t.throws(() => loadConfigFile(join(dir, 'radgate.yaml'), {}), { instanceOf: ConfigError });
  t.regex(error?.message ?? '', /RADGATE_FIREWALL_SECRET is not set/);
});

test('the example configuration documents every key of the schema', (t) => {
  const example = readFileSync(join(repoRoot, 'config', 'radgate.example.yaml'), 'utf8');
  const keys = (schema: unknown): string[] => {
    const node = schema as { properties?: Record<string, unknown>; items?: unknown };
    return [
      ...Object.entries(node.properties ?? {}).flatMap(([key, child]) => [key, ...keys(child)]),
      ...(node.items === undefined ? [] : keys(node.items)),
    ];
  };
  for (const key of keys(configSchema)) t.regex(example, new RegExp(`^\\s*#?\\s*(- )?${key}:`, 'm'), key);
});

test('the quickstart configuration loads', (t) => {
  const config = loadConfigFile(join(repoRoot, 'config', 'quickstart.yaml'), {});
  t.deepEqual(config.listen, [
    { host: '127.0.0.1', port: 1812, family: 4 },
    { host: '::1', port: 1812, family: 6 },
  ]);
  t.deepEqual(
    config.clients.map((c) => [c.address, c.secret.toString(), c.requireMessageAuthenticator]),
    [
      ['127.0.0.1/32', 'radgate-quickstart-secret', true],
      ['::1/128', 'radgate-quickstart-secret', true],
    ],
  );
  t.is(config.clients[0]?.name, 'localhost');
});


test('redis.wait_replicas is refused with a cluster URL, naming the key and line', (t) => {
  const error = fail(`${minimal}redis:\n  url: redis+cluster://127.0.0.1:7000\n  wait_replicas: 1\n`);
  t.is(error.path, 'redis.wait_replicas');
  t.is(error.line, 7);
  t.regex(error.message, /not supported with redis\+cluster/);
});

test('redis.url is parsed when the config is loaded, as the store parses it: a wrong scheme names the key and line', (t) => {
  const error = fail(`${minimal}redis:\n  url: "http://user:hunter2@localhost:6379"\n`);
  t.deepEqual(
    error.issues.map((issue) => [issue.path, issue.line, issue.problem]),
    [['redis.url', 6, 'must start with redis://, rediss://, unix://, redis+sentinel:// or redis+cluster://']],
  );
  t.false(error.message.includes('hunter2'));
  t.regex(fail(`${minimal}redis:\n  url: "redis+sentinel://:pw@host:26379"\n`).message, /must name the master/);
  t.regex(fail(`${minimal}redis:\n  url: "redis+cluster://:p%zz@host:7000"\n`).message, /has a % that does not start an escape/);
  t.regex(fail(minimal, { env: { RADGATE_REDIS_URL: 'localhost' } }).message, /^radgate\.yaml: RADGATE_REDIS_URL: must start with redis:\/\/.*\(the variable replaces redis\.url\)$/);
});

test("a code kind's default lifetime must be one an issue accepts", (t) => {
  const error = fail(`${minimal}codes:\n  online_authcode:\n    lifetime: 32d\n  emergency_tokencode:\n    lifetime: 0s\n`);
  t.deepEqual(
    error.issues.map((issue) => [issue.path, issue.line, issue.problem]),
    [
      ['codes.online_authcode.lifetime', 7, 'an authorization code is valid 1 to 31 days, or 1month'],
      ['codes.emergency_tokencode.lifetime', 9, '"0s" is not a positive lifetime'],
    ],
  );
  t.is(parse(`${minimal}codes:\n  online_authcode:\n    lifetime: 1month\n`).codes.onlineAuthcode.lifetime, '1month');
});

test("schema errors and the loader's own checks are reported together, in file order", (t) => {
  const error = fail(`clients:\n  - name: vpn1\n    address: 10.0.0.1/24\n    secret: ${SECRET}\npolicy:\n  max_failures: 500\nchallenge:\n  validities: [2d, 32d]\n`);
  t.deepEqual(
    error.issues.map((issue) => [issue.path, issue.line]),
    [
      ['clients[0].address', 3],
      ['policy.max_failures', 6],
      ['challenge.validities[1]', 8],
    ],
  );
});

test('a part the schema refuses is not checked further, and no shape of it crashes the loader', (t) => {
  // The client's name is wrong, so its address (host bits set) is not looked at.
  t.deepEqual(
    fail(`clients:\n  - name: bad name\n    address: 10.0.0.1/24\n    secret: ${SECRET}\n`).issues.map((issue) => issue.path),
    ['clients[0].name'],
  );
  for (const section of ['redis', 'policy', 'codes', 'challenge', 'replies', 'listen', 'clients', 'dictionary_dir', 'keys']) {
    for (const value of ['', ' 7', ' [1, 2]', ' "text"', '\n  - x']) {
      const client = section === 'clients' ? '' : `clients:\n  - name: vpn1\n    address: 10.0.0.1/24\n    secret: ${SECRET}\n`;
      const error = fail(`${client}${section}:${value}\n`);
      t.true(error.issues.some((issue) => issue.path.startsWith(section)), `${section}:${value}`);
      if (client !== '') t.true(error.issues.some((issue) => issue.path === 'clients[0].address'), `${section}:${value}: the sound parts are still checked`);
    }
  }
});
