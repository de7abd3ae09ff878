import type { Logger } from 'pino';
import type { RadgateConfig } from '../src/config/types.js';
import { openAdmin, type AdminAccess } from '../src/serve/admin-access.js';
import { startGateway, type Gateway } from '../src/serve/gateway.js';
import { runCli, type CliResult } from './cli.js';
import { TestClock } from './clock.js';
import { SECRET_ENV, writeTestConfig, type TestConfigOptions } from './config.js';
import { capturingLogger } from './logger.js';
import { patient } from './patience.js';
import { startTestRedis, type TestRedis, type TestRedisOptions } from './redis.js';
import { startServeProcess, type ServeProcessOptions, type ServeProcess } from './serve-process.js';

export const OPERATOR = { operator: 'test-helpdesk', reason: 'test' } as const;

export interface StackOptions extends TestConfigOptions {
  /** Options of the stack's own redis-server (default: AOF with fsync always). */
  readonly redisServer?: TestRedisOptions;
  /** Level of the captured log of the admin connection and in-process gateways (default debug). */
  readonly captureLevel?: string;
}

export interface StackOn {
  readonly config: RadgateConfig;
  readonly configPath: string;
  readonly directory: string;
  readonly clock: TestClock;
  /** Log lines of the admin connection and of in-process gateways. */
  readonly lines: string[];
  readonly logger: Logger;
  /** Admin access (what the CLI uses) on a connection of its own. */
  readonly admin: AdminAccess;
  /** A gateway in this process, sharing the stack's clock and logger. */
  startGateway(): Promise<Gateway>;
  /** `radgate serve` as a subprocess on this stack's Redis and key; `config` changes its file (e.g. workers). */
  startServe(options?: ServeProcessOptions & { readonly config?: TestConfigOptions }): Promise<ServeProcess>;
  /** The CLI as a subprocess against this stack's config, as an operator. */
  cli(...args: string[]): Promise<CliResult>;
  close(): Promise<void>;
}

export interface Stack extends StackOn {
  readonly redis: TestRedis;
}

/**
 * The one way tests and benchmarks start radgate: a config and a fresh key on disk, admin
 * access, and as many gateways as wanted (in this process or as `radgate serve`), all on
 * one Redis and one key, as instances behind a load balancer are.
 */
export async function startStackOn(redisUrl: string, options: StackOptions = {}): Promise<StackOn> {
  const written = writeTestConfig(redisUrl, options);
  const clock = new TestClock();
  const { logger, lines } = capturingLogger(options.captureLevel ?? 'debug');
  const admin = await openAdmin(written.config, logger, { connectTimeoutMs: patient(5000), clock: clock.read });
  const gateways: Gateway[] = [];
  const serves: ServeProcess[] = [];
  let variants = 0;
  return {
    config: written.config,
    configPath: written.path,
    directory: written.directory,
    clock,
    lines,
    logger,
    admin,
    async startGateway() {
      const gateway = await startGateway(written.config, logger, { connectTimeoutMs: patient(5000), clock: clock.read });
      gateways.push(gateway);
      return gateway;
    },
    async startServe(serveOptions = {}) {
      const path =
        serveOptions.config === undefined
          ? written.path
          : writeTestConfig(redisUrl, { ...options, ...serveOptions.config, keyFile: written.config.keys.file }, written.directory, `serve-${++variants}.yaml`).path;
      const serve = await startServeProcess(path, { ...serveOptions, env: { ...SECRET_ENV, ...serveOptions.env } });
      serves.push(serve);
      return serve;
    },
    cli: (...args) => runCli([...args, '--config', written.path, '--operator', OPERATOR.operator], { env: SECRET_ENV }),
    async close() {
      await Promise.all(serves.map((serve) => serve.stop()));
      for (const gateway of gateways) await gateway.stop();
      await admin.close();
    },
  };
}

/** A stack on a redis-server of its own (AOF, fsync always unless told otherwise). */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const redis = await startTestRedis(options.redisServer ?? { appendfsync: 'always' });
  try {
    const stack = await startStackOn(redis.url, options);
    return {
      ...stack,
      redis,
      async close() {
        await stack.close();
        await redis.stop();
      },
    };
  } catch (error) {
    await redis.stop();
    throw error;
  }
}

/** A stack on a given Redis (a Sentinel group, a Cluster) with one gateway in this process. */
export interface RadgateOn extends StackOn {
  readonly gateway: Gateway;
  /** The gateway's RADIUS port. */
  readonly port: number;
}

export async function startRadgateOn(redisUrl: string, options: StackOptions = {}): Promise<RadgateOn> {
  const stack = await startStackOn(redisUrl, { captureLevel: 'info', ...options });
  try {
    const gateway = await stack.startGateway();
    return { ...stack, gateway, port: gateway.server.addresses()[0]!.port };
  } catch (error) {
    await stack.close();
    throw error;
  }
}

/** A stack with one in-process gateway, and the gateway's address as `radgate test --server` takes it. */
export async function startStackWithGateway(options: StackOptions = {}): Promise<{ stack: Stack; server: string }> {
  const stack = await startStack(options);
  const gateway = await stack.startGateway();
  return { stack, server: `127.0.0.1:${gateway.server.addresses()[0]!.port}` };
}
