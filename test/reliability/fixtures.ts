/**
 * What the reliability tests share: a real redis-server on a private port, a config file
 * written to disk (so `radgate serve` and the CLI can be pointed at it as subprocesses),
 * admin credentials in-process, and optional in-process gateways.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { IssuedCode } from '../../src/auth/credential-service.js';
import { parseConfig } from '../../src/config/load.js';
import type { RadgateConfig } from '../../src/config/types.js';
import { openCredentials, startGateway, type Credentials, type Gateway } from '../../src/gateway.js';
import { createKeyFile } from '../../src/keys/key-file.js';
import type { RedisProcess } from '../../src/store/redis-process.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { capturingLogger } from '../helpers/gateway.js';
import { TEST_SECRET } from '../helpers/packets.js';
import { startTestRedis, type TestRedisOptions } from '../helpers/redis.js';
import { OPERATOR } from '../helpers/stack.js';

export const SECRET_ENV = { TEST_SECRET: TEST_SECRET.toString() } as const;

export interface ConfigOptions {
  /** Lines under `policy:`, indented by two spaces (default: no reject delay, 100 failures). */
  readonly policy?: string;
  /** More top-level YAML (challenge:, replies:, redis settings go in `redis`). */
  readonly extra?: string;
  /** Lines under `redis:` besides the URL. */
  readonly redis?: string;
  /** Extra client entries (list items, indented by two spaces). */
  readonly clients?: string;
  readonly workers?: number;
  readonly logLevel?: string;
}

export const DEFAULT_POLICY = '  reject_delay_ms: 0\n  max_failures: 100\n';

/** Writes radgate.yaml and a fresh key file into a new directory; returns the path and the parsed config. */
export function writeConfig(redisUrl: string, options: ConfigOptions = {}): { path: string; config: RadgateConfig } {
  const directory = mkdtempSync(join(tmpdir(), 'radgate-reliability-'));
  createKeyFile(join(directory, 'radgate.key'));
  const text = `listen: ["127.0.0.1:0"]
workers: ${options.workers ?? 1}
clients:
  - name: test-nas
    address: 127.0.0.1
    secret_env: TEST_SECRET
${options.clients ?? ''}redis:
  url: ${redisUrl}
${options.redis ?? ''}keys:
  file: ./radgate.key
log:
  level: ${options.logLevel ?? 'info'}
policy:
${options.policy ?? DEFAULT_POLICY}${options.extra ?? ''}`;
  const path = join(directory, 'radgate.yaml');
  writeFileSync(path, text);
  return { path, config: parseConfig(text, { source: path, baseDir: directory, env: SECRET_ENV }) };
}

export interface FaultStack {
  readonly redis: RedisProcess;
  readonly config: RadgateConfig;
  readonly configPath: string;
  readonly admin: Credentials;
  readonly logger: Logger;
  /** Log lines of the admin connection and of in-process gateways. */
  readonly lines: string[];
  startGateway(): Promise<Gateway>;
  /** The CLI as a subprocess against this stack's config. */
  cli(...args: string[]): Promise<CliResult>;
  close(): Promise<void>;
}

export async function startFaultStack(options: ConfigOptions & { redisOptions?: TestRedisOptions } = {}): Promise<FaultStack> {
  const redis = await startTestRedis(options.redisOptions ?? { appendfsync: 'always' });
  const { path, config } = writeConfig(redis.url, options);
  const { logger, lines } = capturingLogger('info');
  const admin = await openCredentials(config, logger);
  const gateways: Gateway[] = [];
  return {
    redis,
    config,
    configPath: path,
    admin,
    logger,
    lines,
    async startGateway() {
      const gateway = await startGateway(config, logger);
      gateways.push(gateway);
      return gateway;
    },
    cli: (...args) => runCli([...args, '--config', path, '--operator', 'reliability'], { env: SECRET_ENV }),
    async close() {
      for (const gateway of gateways) await gateway.stop();
      await admin.close();
      await redis.stop();
    },
  };
}

/** A user with a PIN and a TOTP token (emergency codes are only issued to such a user). */
export async function addUserWithToken(admin: Credentials, user: string, pin: string): Promise<void> {
  await admin.service.addUser(user, pin, OPERATOR);
  await admin.service.assignToken(user, {}, OPERATOR);
}

export async function issue(
  admin: Credentials,
  user: string,
  request: Parameters<Credentials['service']['issueCodes']>[1],
): Promise<IssuedCode[]> {
  return admin.service.issueCodes(user, request, OPERATOR);
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Fisher–Yates, in place. */
export function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/** Polls until `check` is true or `timeoutMs` passes; returns the last answer. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(everyMs);
  }
}
