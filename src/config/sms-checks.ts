/**
 * The `sms` section's checks (issue 18): the provider named has its settings and no other's,
 * the message carries the code, a webhook's URL is TLS (or a relay on this host), its
 * credentials and CA are readable, the command is an absolute path to a program. Files and
 * variables are read here, once per load, so a typo is an error with its line.
 */
import { accessSync, constants } from 'node:fs';
import { isIP } from 'node:net';
import { isAbsolute, resolve } from 'node:path';
import type { ConfigErrorCode } from './errors.js';
import type { KeyPath } from './locate.js';
import { readBoundedFile, readSecretFile } from './secrets.js';
import type { SmsConfig, SmsWebhookConfig } from './sms-config.js';
import type { RawSms } from './sms-schema.js';

type Report = (code: ConfigErrorCode, path: KeyPath, problem: string) => void;

/** A CA bundle: far above any real one, small enough that a wrong path is an error. */
const MAX_CA_FILE_BYTES = 1024 * 1024;

/**
 * Plain HTTP would carry every code (and the credentials) in clear over the network; to an
 * address on this host it stays on this host (a local SMS relay), so it is allowed there only.
 */
function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return isIP(host) === 6 && (host === '::1' || /^::ffff:127\./i.test(host));
}

function webhookUrlProblem(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'is not a URL (https://sms.example.net/send)';
  }
  if (url.username !== '' || url.password !== '') return 'must not carry credentials: use authorization_file or authorization_env';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:') return isLoopback(url.hostname) ? undefined : 'http:// is only allowed to a loopback address (a relay on this host); use https://';
  return 'must be an https:// URL';
}

function resolveWebhook(raw: NonNullable<RawSms['webhook']>, baseDir: string, env: NodeJS.ProcessEnv, report: Report): SmsWebhookConfig | undefined {
  const at = (key: string): KeyPath => ['sms', 'webhook', key];
  let sound = true;
  const urlProblem = webhookUrlProblem(raw.url);
  if (urlProblem !== undefined) {
    report('RADGATE_CONFIG_INVALID', at('url'), urlProblem);
    sound = false;
  }
  if (!raw.body.includes('{number}')) {
    report('RADGATE_CONFIG_INVALID', at('body'), 'must contain {number}: the gateway has to know where to send the SMS');
    sound = false;
  }
  let authorization: SmsWebhookConfig['authorization'];
  if (raw.authorization_file !== undefined && raw.authorization_env !== undefined) {
    report('RADGATE_CONFIG_INVALID', at('authorization_env'), 'set only one of authorization_file and authorization_env');
    sound = false;
  } else if (raw.authorization_file !== undefined) {
    const path = resolve(baseDir, raw.authorization_file);
    const value = readSecretFile(path);
    if (typeof value === 'string' || value.length === 0) {
      report('RADGATE_CONFIG_SECRET', at('authorization_file'), typeof value === 'string' ? `cannot read ${path}: ${value}` : `${path} is empty`);
      sound = false;
    } else authorization = { header: raw.authorization_header, value: value.toString('utf8') };
  } else if (raw.authorization_env !== undefined) {
    const value = env[raw.authorization_env];
    if (value === undefined || value === '') {
      report('RADGATE_CONFIG_SECRET', at('authorization_env'), `environment variable ${raw.authorization_env} is not set`);
      sound = false;
    } else authorization = { header: raw.authorization_header, value };
  }
  if (authorization !== undefined && /[\r\n]/.test(authorization.value)) {
    report('RADGATE_CONFIG_SECRET', at(raw.authorization_file === undefined ? 'authorization_env' : 'authorization_file'), 'holds a line break: one line, the header value');
    sound = false;
  }
  let ca: Buffer | undefined;
  if (raw.ca_file !== undefined) {
    const path = resolve(baseDir, raw.ca_file);
    const contents = readBoundedFile(path, { maxBytes: MAX_CA_FILE_BYTES, what: 'a CA bundle' });
    if (typeof contents === 'string') report('RADGATE_CONFIG_INVALID', at('ca_file'), `cannot read ${path}: ${contents}`);
    else if (!contents.includes('-----BEGIN CERTIFICATE-----')) report('RADGATE_CONFIG_INVALID', at('ca_file'), `${path} holds no PEM certificate`);
    else ca = contents;
    sound &&= ca !== undefined;
  }
  if (!sound) return undefined;
  return {
    url: raw.url,
    method: raw.method,
    headers: raw.headers,
    contentType: raw.content_type,
    body: raw.body,
    authorization,
    timeoutMs: raw.timeout_ms,
    retries: raw.retries,
    ca,
  };
}

/** The `sms` section resolved, or undefined (with the problems reported) when it cannot be used. */
export function resolveSms(raw: RawSms, baseDir: string, env: NodeJS.ProcessEnv, report: Report): SmsConfig | undefined {
  if (!raw.message.includes('{code}')) {
    report('RADGATE_CONFIG_INVALID', ['sms', 'message'], 'must contain {code}: the SMS exists to carry it');
    return undefined;
  }
  const other = raw.provider === 'webhook' ? 'command' : 'webhook';
  if (raw[other] !== undefined) {
    report('RADGATE_CONFIG_INVALID', ['sms', other], `is not read with provider: ${raw.provider}; remove it or change the provider`);
    return undefined;
  }
  if (raw.provider === 'webhook') {
    if (raw.webhook === undefined) {
      report('RADGATE_CONFIG_INVALID', ['sms', 'provider'], 'webhook needs a webhook section (url, and body, headers, authorization as the gateway wants them)');
      return undefined;
    }
    const webhook = resolveWebhook(raw.webhook, baseDir, env, report);
    return webhook === undefined ? undefined : { provider: 'webhook', message: raw.message, webhook };
  }
  if (raw.command === undefined) {
    report('RADGATE_CONFIG_INVALID', ['sms', 'provider'], 'command needs a command section (path, and args)');
    return undefined;
  }
  const { path, args, timeout_ms: timeoutMs } = raw.command;
  if (!isAbsolute(path)) {
    report('RADGATE_CONFIG_INVALID', ['sms', 'command', 'path'], 'must be an absolute path: no PATH lookup chooses the program that gets the codes');
    return undefined;
  }
  try {
    accessSync(path, constants.X_OK);
  } catch (error) {
    report('RADGATE_CONFIG_INVALID', ['sms', 'command', 'path'], `cannot run ${path}: ${(error as NodeJS.ErrnoException).code ?? 'unknown error'}`);
    return undefined;
  }
  return { provider: 'command', message: raw.message, command: { path, args, timeoutMs } };
}
