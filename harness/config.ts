import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../src/config/errors.js';
import { parseConfig } from '../src/config/load.js';
import type { RadgateConfig } from '../src/config/types.js';
import { createKeyFile } from '../src/keys/key-file.js';
import { TEST_SECRET } from './packets.js';
import { TEST_COMMAND_TIMEOUT_MS, TEST_REQUEST_TIMEOUT_MS } from './patience.js';
import { tempDir } from './temp.js';

/** The environment that resolves the test client's `secret_env`; subprocesses get it too. */
export const SECRET_ENV = { TEST_SECRET: TEST_SECRET.toString() } as const;

export interface TestConfigOptions {
  /** Lines under `policy:`, indented by two spaces (default: no reject delay). */
  readonly policy?: string;
  /** Lines under `redis:` besides the URL (default: a command timeout with room for a busy machine). */
  readonly redis?: string;
  /** More client entries (list items, indented by two spaces). */
  readonly clients?: string;
  /** More top-level YAML (challenge:, replies:, user_cache:, …). */
  readonly extra?: string;
  /** Gateway processes (default 1; `auto` is one per core). */
  readonly workers?: number | 'auto';
  /** The config's log level (what a `serve` subprocess logs; in-process gateways log to the test's logger). */
  readonly logLevel?: string;
  /** `log.format` (default: left out, so `auto`: JSON lines through a pipe). */
  readonly logFormat?: 'auto' | 'json' | 'pretty';
  readonly requestTimeoutMs?: number;
  /** The listen address (default "127.0.0.1:0": a free port, which `serve` logs). */
  readonly listen?: string;
  /** Lines under `ops:` (default: the ops listener on a free loopback port, which `serve` logs). */
  readonly ops?: string;
  /** An existing key file (default: a fresh one in the config's directory). */
  readonly keyFile?: string;
  /**
   * `time_zone` (default UTC, so that a test's "1d" is 24 hours on any host; `null` leaves
   * it out, for the host's zone).
   */
  readonly timeZone?: string | null;
}

export const DEFAULT_POLICY = '  reject_delay_ms: 0\n';

export interface TestConfig {
  readonly directory: string;
  readonly path: string;
  readonly config: RadgateConfig;
  readonly options: TestConfigOptions;
}

/**
 * The configuration every test stack and benchmark runs: loopback, port 0, one client
 * (127.0.0.1) with TEST_SECRET, and the options above. Written to disk, so `radgate serve`
 * and the CLI, as subprocesses, read exactly what the in-process parts were given.
 */
export function writeTestConfig(redisUrl: string, options: TestConfigOptions = {}, directory = tempDir('config'), name = 'radgate.yaml'): TestConfig {
  const keyFile = options.keyFile ?? join(directory, 'radgate.key');
  if (options.keyFile === undefined) createKeyFile(keyFile);
  const timeZone = options.timeZone === undefined ? 'UTC' : options.timeZone;
  const text = `listen: ["${options.listen ?? '127.0.0.1:0'}"]
workers: ${options.workers ?? 1}
${timeZone === null ? '' : `time_zone: ${timeZone}\n`}request_timeout_ms: ${options.requestTimeoutMs ?? TEST_REQUEST_TIMEOUT_MS}
clients:
  - name: test-nas
    address: 127.0.0.1
    secret_env: TEST_SECRET
${options.clients ?? ''}redis:
  url: ${redisUrl}
${options.redis ?? `  command_timeout_ms: ${TEST_COMMAND_TIMEOUT_MS}\n`}keys:
  file: ${keyFile}
log:
  level: ${options.logLevel ?? 'info'}
${options.logFormat === undefined ? '' : `  format: ${options.logFormat}\n`}ops:
${options.ops ?? '  listen: "127.0.0.1:0"\n'}policy:
${options.policy ?? DEFAULT_POLICY}${options.extra ?? ''}`;
  const path = join(directory, name);
  writeFileSync(path, text);
  return { directory, path, config: parseConfig(text, { source: path, baseDir: directory, env: SECRET_ENV }), options };
}

/** For tests that send many wrong passwords on purpose: no user is locked out along the way. */
export const MANY_FAILURES_POLICY = '  reject_delay_ms: 0\n  max_failures: 100\n';

/** A config with one client and `extra` (a section under test), parsed as `config check` parses it. */
export function parseWithSection(extra: string, baseDir: string): RadgateConfig {
  return parseConfig(`clients:\n  - name: vpn1\n    address: 10.0.0.0/24\n    secret: a-long-enough-shared-secret\n${extra}`, { source: 'radgate.yaml', baseDir, env: {} });
}

/** The problems `config check` reports for such a file, as "LINE PATH: PROBLEM" lines; none when it loads. */
export function sectionProblems(extra: string, baseDir: string): string[] {
  try {
    parseWithSection(extra, baseDir);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map((issue) => `${issue.line ?? '-'} ${issue.path}: ${issue.problem}`);
    throw error;
  }
  return [];
}
