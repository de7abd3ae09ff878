/**
 * The checks of the sections that open a TCP listener for people (ops, the helpdesk
 * console, the self-service pages): one address or `off`, PEM files read at load (so a
 * missing file is an error with its line, at `config check` as at start), the reverse
 * proxy they trust. The config's Resolver calls these with its own way to report.
 */
import { resolve } from 'node:path';
import { lifetimeProblem } from '../credentials/codes/lifetime-bounds.js';
import { CidrError, parseCidr } from './cidr.js';
import type { ConfigErrorCode } from './errors.js';
import { ListenError, parseListen } from './listen.js';
import type { KeyPath } from './locate.js';
import type { RawConsole } from './console-schema.js';
import type { RawSelfService } from './self-service-schema.js';
import { readSecretFile } from './secrets.js';
import type { ConsoleConfig, ListenAddress, SelfServiceConfig } from './types.js';

export type Report = (code: ConfigErrorCode, path: KeyPath, problem: string) => void;

/** The console's port when `console.listen` names only an address (HTTPS on a high port). */
export const DEFAULT_CONSOLE_PORT = 8443;
/** The self-service pages' port when `self_service.listen` names only an address: the console's, plus one. */
export const DEFAULT_SELF_SERVICE_PORT = 8444;

/** One TCP listener, or undefined for `off`; `port` when the text names only an address. */
export function tcpListen(text: string | null, path: KeyPath, port: number, report: Report): ListenAddress | undefined {
  if (text === null || text === 'off') return undefined;
  try {
    const addresses = parseListen(text);
    if (addresses.length !== 1) throw new ListenError(`${JSON.stringify(text)} names two listeners; give one address, e.g. "127.0.0.1:${port}"`);
    const [address] = addresses as [ListenAddress];
    // parseListen's default port is RADIUS's; an address alone here means this listener's.
    return /\]?:\d+$/.test(text) ? address : { ...address, port };
  } catch (error) {
    if (!(error instanceof ListenError)) throw error;
    report('RADGATE_CONFIG_INVALID', path, `${error.message}, or off`);
    return undefined;
  }
}

interface HttpsSection {
  readonly listen: string | null;
  readonly certificate_file: string;
  readonly key_file: string;
  readonly trusted_proxy?: { readonly address: string; readonly header: string };
}

interface HttpsEndpoint {
  readonly listen: ListenAddress | undefined;
  readonly certificate: Buffer;
  readonly key: Buffer;
  readonly certificateFile: string;
  readonly keyFile: string;
  readonly trustedProxy: { readonly address: string; readonly header: string } | undefined;
}

/** An HTTPS listener's address, its PEM certificate and key, and the proxy it trusts; undefined when a file cannot be used. */
function httpsEndpoint(section: 'console' | 'self_service', raw: HttpsSection, port: number, baseDir: string, report: Report): HttpsEndpoint | undefined {
  const listen = tcpListen(raw.listen, [section, 'listen'], port, report);
  const pem = (key: 'certificate_file' | 'key_file', label: string): { path: string; bytes: Buffer } | undefined => {
    const path = resolve(baseDir, raw[key]);
    const bytes = readSecretFile(path);
    if (typeof bytes === 'string') report('RADGATE_CONFIG_SECRET', [section, key], `cannot read ${path}: ${bytes}`);
    else if (!bytes.includes(`-----BEGIN `)) report('RADGATE_CONFIG_SECRET', [section, key], `${path} holds no PEM ${label}`);
    else return { path, bytes };
    return undefined;
  };
  const certificate = pem('certificate_file', 'certificate');
  const key = pem('key_file', 'private key');
  let trustedProxy: HttpsEndpoint['trustedProxy'];
  if (raw.trusted_proxy !== undefined) {
    try {
      parseCidr(raw.trusted_proxy.address);
      // Node gives header names in lower case.
      trustedProxy = { address: raw.trusted_proxy.address, header: raw.trusted_proxy.header.toLowerCase() };
    } catch (error) {
      if (!(error instanceof CidrError)) throw error;
      report('RADGATE_CONFIG_INVALID', [section, 'trusted_proxy', 'address'], error.message);
    }
  }
  if (certificate === undefined || key === undefined) return undefined;
  return { listen, certificate: certificate.bytes, key: key.bytes, certificateFile: certificate.path, keyFile: key.path, trustedProxy };
}

/** The helpdesk console: its listener, certificate and key, the SSO proxy it trusts, and its sessions. */
export function resolveConsole(raw: RawConsole, baseDir: string, report: Report): ConsoleConfig | undefined {
  const endpoint = httpsEndpoint('console', raw, DEFAULT_CONSOLE_PORT, baseDir, report);
  if (raw.session.max_seconds < raw.session.idle_seconds) {
    report('RADGATE_CONFIG_INVALID', ['console', 'session', 'max_seconds'], `is below idle_seconds (${raw.session.idle_seconds}): a session would end before it could idle out`);
  }
  if (endpoint === undefined) return undefined;
  return {
    ...endpoint,
    sessionIdleSeconds: raw.session.idle_seconds,
    sessionMaxSeconds: raw.session.max_seconds,
    loginMaxFailures: raw.login.max_failures,
    loginLockoutSeconds: raw.login.lockout_seconds,
    loginAttemptsPerSourcePerMinute: raw.login.per_source_per_minute,
  };
}

/** The self-service pages: their listener, certificate and key, the proxy in front, and the service's settings. */
export function resolveSelfService(raw: RawSelfService, baseDir: string, smsConfigured: boolean, report: Report): SelfServiceConfig | undefined {
  const endpoint = httpsEndpoint('self_service', raw, DEFAULT_SELF_SERVICE_PORT, baseDir, report);
  if (!smsConfigured) report('RADGATE_CONFIG_INVALID', ['self_service'], 'sends codes by SMS: add an sms section with the provider (README "Self-service")');
  // A code sent by SMS is an online authorization code: the helpdesk's bounds hold for it too.
  const lifetime = lifetimeProblem('online-authcode', raw.code_lifetime);
  if (lifetime !== undefined) report('RADGATE_CONFIG_INVALID', ['self_service', 'code_lifetime'], lifetime);
  if (endpoint === undefined || lifetime !== undefined) return undefined;
  return {
    ...endpoint,
    requestsPerSourcePerMinute: raw.requests_per_source_per_minute,
    service: { answerMs: raw.answer_ms, codeLifetime: raw.code_lifetime, requestsPerUserPerHour: raw.requests_per_user_per_hour },
  };
}
