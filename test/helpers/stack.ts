import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { parseConfig } from '../../src/config/load.js';
import type { RadgateConfig } from '../../src/config/types.js';
import { openCredentials, startGateway, type Credentials, type Gateway } from '../../src/gateway.js';
import { createKeyFile } from '../../src/keys/key-file.js';
import type { RedisProcess } from '../../src/store/redis-process.js';
import { capturingLogger } from './gateway.js';
import { TEST_SECRET } from './packets.js';
import { startTestRedis } from './redis.js';

/** A clock a test can move: `clock.now` is read by every component given `clock.read`. */
export class TestClock {
  constructor(public now: number = Date.now()) {}
  readonly read = (): number => this.now;
  advance(ms: number): void {
    this.now += ms;
  }
}

export const OPERATOR = { operator: 'test-helpdesk', reason: 'test' } as const;

/** A configuration for tests: loopback, port 0, one client with TEST_SECRET, no reject delay. */
export function testConfig(options: { redisUrl: string; keyFile?: string; yaml?: string; clients?: string }): RadgateConfig {
  const directory = mkdtempSync(join(tmpdir(), 'radgate-stack-'));
  const keyFile = options.keyFile ?? join(directory, 'radgate.key');
  if (options.keyFile === undefined) createKeyFile(keyFile);
  const text = `listen: ["127.0.0.1:0"]
clients:
  - name: test-nas
    address: 127.0.0.1
    secret_env: TEST_SECRET
${options.clients ?? ''}
redis:
  url: ${options.redisUrl}
keys:
  file: ${keyFile}
log:
  level: debug
${options.yaml ?? 'policy:\n  reject_delay_ms: 0\n'}`;
  // Written out too, so the CLI (a subprocess) can be pointed at the same configuration.
  writeFileSync(join(directory, 'radgate.yaml'), text);
  return parseConfig(text, { source: join(directory, 'radgate.yaml'), baseDir: directory, env: { TEST_SECRET: TEST_SECRET.toString() } });
}

export interface Stack {
  readonly redis: RedisProcess;
  readonly config: RadgateConfig;
  readonly clock: TestClock;
  readonly lines: string[];
  readonly logger: Logger;
  /** Admin access (what the CLI uses) on a connection of its own. */
  readonly admin: Credentials;
  startGateway(): Promise<Gateway>;
  close(): Promise<void>;
}

/**
 * A real redis-server on a private port, a fresh key, and as many gateway instances as a
 * test wants, all sharing that Redis and that key (as instances behind a load balancer do).
 */
export async function startStack(options: { yaml?: string; clients?: string } = {}): Promise<Stack> {
  const redis = await startTestRedis({ appendfsync: 'always' });
  const config = testConfig({ redisUrl: redis.url, ...options });
  const clock = new TestClock();
  const { logger, lines } = capturingLogger('debug');
  const admin = await openCredentials(config, logger, { clock: clock.read });
  const gateways: Gateway[] = [];
  return {
    redis,
    config,
    clock,
    lines,
    logger,
    admin,
    async startGateway() {
      const gateway = await startGateway(config, logger, { clock: clock.read });
      gateways.push(gateway);
      return gateway;
    },
    async close() {
      for (const gateway of gateways) await gateway.stop();
      await admin.close();
      await redis.stop();
    },
  };
}
