import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { ConfigError } from '../../src/config/errors.js';
import { parseConfig } from '../../src/config/load.js';
import type { RadgateConfig } from '../../src/config/types.js';
import { tempDir } from '../../harness/temp.js';

// The `sms` section (README "Configuration reference: sms"): what the loader refuses, with
// the key and the line, and what it makes of a sound section.

const CLIENTS = 'clients:\n  - { name: nas, address: 127.0.0.1, secret: a-shared-secret-of-16+ }\n';

function load(section: string, env: NodeJS.ProcessEnv = {}): RadgateConfig {
  const directory = tempDir('sms-config');
  writeFileSync(join(directory, 'token'), 'Basic dXNlcjpwYXNz\n', { mode: 0o600 });
  const tool = join(directory, 'send-sms');
  writeFileSync(tool, '#!/bin/sh\ncat > /dev/null\n');
  chmodSync(tool, 0o700);
  writeFileSync(join(directory, 'not-executable'), '');
  const text = `${CLIENTS}${section.replaceAll('DIR', directory)}`;
  return parseConfig(text, { source: join(directory, 'radgate.yaml'), baseDir: directory, env });
}

function problems(section: string, env: NodeJS.ProcessEnv = {}): string {
  try {
    load(section, env);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('the section was accepted');
}

const webhook = (lines: string): string => `sms:\n  provider: webhook\n  webhook:\n${lines}`;

test('no sms section: no SMS', (t) => {
  t.is(load('').sms, undefined);
});

test('a sound webhook section: defaults filled in, the authorization read from its file', (t) => {
  const sms = load(webhook('    url: https://sms.example.net/v1/send\n    authorization_file: DIR/token\n')).sms!;
  t.is(sms.provider, 'webhook');
  t.is(sms.message, 'Your radgate authorization code: {code}. Valid until {expires}.');
  if (sms.provider !== 'webhook') return;
  t.like(sms.webhook, { url: 'https://sms.example.net/v1/send', method: 'POST', contentType: 'application/json', timeoutMs: 10000, retries: 2 });
  t.deepEqual(sms.webhook.authorization, { header: 'Authorization', value: 'Basic dXNlcjpwYXNz' });
  t.true(Object.isFrozen(sms.webhook), 'frozen like the rest of the config');
});

test('plain http only to a loopback address: anything else would carry the codes in clear', (t) => {
  t.is(load(webhook('    url: http://127.0.0.1:8080/send\n')).sms?.provider, 'webhook');
  t.is(load(webhook('    url: http://[::1]:8080/send\n')).sms?.provider, 'webhook');
  t.regex(problems(webhook('    url: http://sms.example.net/send\n')), /radgate\.yaml:6: sms\.webhook\.url: http:\/\/ is only allowed to a loopback address/);
  t.regex(problems(webhook('    url: ftp://sms.example.net/\n')), /sms\.webhook\.url: must be an https:\/\/ URL/);
  t.regex(problems(webhook('    url: https://user:pw@sms.example.net/\n')), /sms\.webhook\.url: must not carry credentials/);
});

test('the credentials: one source, a variable that is set, and never their value in a message', (t) => {
  t.regex(problems(webhook('    url: https://sms.example.net/\n    authorization_file: DIR/token\n    authorization_env: SMS_TOKEN\n')), /set only one of authorization_file and authorization_env/);
  t.regex(problems(webhook('    url: https://sms.example.net/\n    authorization_env: SMS_TOKEN\n')), /sms\.webhook\.authorization_env: environment variable SMS_TOKEN is not set/);
  t.is(load(webhook('    url: https://sms.example.net/\n    authorization_env: SMS_TOKEN\n'), { SMS_TOKEN: 'Bearer abc' }).sms?.provider, 'webhook');
  const missing = problems(webhook('    url: https://sms.example.net/\n    authorization_file: DIR/nope\n'));
  t.regex(missing, /sms\.webhook\.authorization_file: cannot read .*nope: ENOENT/);
});

test('the templates: the message must carry the code, the body the number', (t) => {
  t.regex(problems('sms:\n  provider: webhook\n  message: Call the helpdesk\n  webhook:\n    url: https://sms.example.net/\n'), /radgate\.yaml:5: sms\.message: must contain \{code\}/);
  t.regex(problems(webhook('    url: https://sms.example.net/\n    body: \'{"text":"{message}"}\'\n')), /sms\.webhook\.body: must contain \{number\}/);
});

test('the provider named has its section, and no other', (t) => {
  t.regex(problems('sms:\n  provider: webhook\n'), /sms\.provider: webhook needs a webhook section/);
  t.regex(problems('sms:\n  provider: command\n  command:\n    path: DIR/send-sms\n  webhook:\n    url: https://sms.example.net/\n'), /sms\.webhook: is not read with provider: command/);
  t.regex(problems('sms:\n  provider: modem\n'), /sms\.provider/);
});

test('a command: an absolute path to a program that may be run', (t) => {
  const sms = load('sms:\n  provider: command\n  command:\n    path: DIR/send-sms\n    args: [--modem, /dev/ttyUSB0]\n').sms!;
  t.is(sms.provider, 'command');
  if (sms.provider === 'command') t.deepEqual(sms.command.args, ['--modem', '/dev/ttyUSB0']);
  t.regex(problems('sms:\n  provider: command\n  command:\n    path: send-sms\n'), /sms\.command\.path: must be an absolute path/);
  t.regex(problems('sms:\n  provider: command\n  command:\n    path: DIR/not-executable\n'), /sms\.command\.path: cannot run .*not-executable: EACCES/);
});
