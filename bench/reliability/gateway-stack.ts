/**
 * What the soak and the timing script run against: a private redis-server (AOF, as
 * radgate's embedded default), a config file and key on disk, `radgate serve` as a
 * subprocess, and in-process admin credentials to create the population.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfigFile } from '../../src/config/load.js';
import { openCredentials, type Credentials } from '../../src/gateway.js';
import { createKeyFile } from '../../src/keys/key-file.js';
import { RedisProcess, type AppendFsync } from '../../src/store/redis-process.js';
import { startServeProcess, type ServeProcess } from './serve-process.js';

export const BENCH_SECRET = Buffer.from('reliability-bench-secret-0123');

export interface GatewayStack {
  readonly redis: RedisProcess;
  readonly configPath: string;
  readonly admin: Credentials;
  /** Started by startServe(). */
  serve: ServeProcess | undefined;
  startServe(options?: { keepLines?: boolean }): Promise<ServeProcess>;
  close(): Promise<void>;
}

export interface GatewayStackOptions {
  /** Lines under `policy:`, indented two spaces. */
  readonly policy: string;
  readonly logLevel?: string;
  readonly appendfsync?: AppendFsync;
  readonly workers?: number;
}

export async function startGatewayStack(options: GatewayStackOptions): Promise<GatewayStack> {
  const directory = mkdtempSync(join(tmpdir(), 'radgate-reliability-bench-'));
  const redis = await RedisProcess.start({ dataDir: join(directory, 'redis'), appendfsync: options.appendfsync ?? 'everysec' });
  createKeyFile(join(directory, 'radgate.key'));
  const configPath = join(directory, 'radgate.yaml');
  writeFileSync(
    configPath,
    `listen: ["127.0.0.1:0"]
workers: ${options.workers ?? 1}
clients:
  - name: bench-nas
    address: 127.0.0.1
    secret_env: RELIABILITY_BENCH_SECRET
redis:
  url: ${redis.url}
keys:
  file: ./radgate.key
log:
  level: ${options.logLevel ?? 'info'}
policy:
${options.policy}`,
  );
  const env = { RELIABILITY_BENCH_SECRET: BENCH_SECRET.toString() };
  const admin = await openCredentials(loadConfigFile(configPath, { ...process.env, ...env }), pino({ level: 'silent' }));
  const stack: GatewayStack = {
    redis,
    configPath,
    admin,
    serve: undefined,
    async startServe(serveOptions = {}) {
      stack.serve = await startServeProcess(configPath, { env, keepLines: serveOptions.keepLines ?? false });
      return stack.serve;
    },
    async close() {
      const code = await stack.serve?.stop('SIGTERM');
      if (code !== undefined && code !== 0) process.stderr.write(`radgate serve exited with code ${code}\n`);
      await admin.close();
      await redis.stop();
      rmSync(directory, { recursive: true, force: true });
    },
  };
  return stack;
}

export const OPERATOR = { operator: 'reliability-bench', reason: 'bench' } as const;

/** Stops the stack on Ctrl-C too, so no redis-server or gateway is left behind. */
export function closeOnInterrupt(stack: GatewayStack): void {
  process.once('SIGINT', () => {
    void stack.close().finally(() => process.exit(130));
  });
}
