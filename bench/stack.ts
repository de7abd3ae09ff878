/**
 * One Redis with the bench's admin connection: a private redis-server on a free loopback
 * port (never one someone else started), a fresh master key, and CredentialService over
 * them. radgate instances started on it share the Redis and the key, as gateway instances
 * behind a load balancer do.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Credentials } from '../src/gateway.js';
import { createKeyFile } from '../src/keys/key-file.js';
import { RedisProcess } from '../src/store/redis-process.js';
import { watchPid } from './processes.js';
import { openAdmin, startRadgate, type RadgateInstance, type RadgateSettings } from './radgate.js';

export const BENCH_SECRET = 'bench-shared-secret-7f3a9c';

export interface BenchStack {
  readonly name: string;
  readonly redis: RedisProcess;
  readonly admin: Credentials;
  readonly settings: RadgateSettings;
  /** Starts `radgate serve` on this stack (workers: a count, `auto`, or the schema default). */
  startRadgate(name: string, workers: 'auto' | number | undefined, nodeArgs?: readonly string[]): Promise<RadgateInstance>;
  close(): Promise<void>;
}

export async function startStack(name: string, options: { extraYaml?: string; workersOfAuto: number; logLevel?: string }): Promise<BenchStack> {
  const directory = mkdtempSync(join(tmpdir(), `radgate-bench-${name}-`));
  // Production settings (AOF, fsync every second), except that AOF rewrites are off: a
  // rewrite forks mid-run and its CPU would land in some runs and not others.
  const redis = await RedisProcess.start({
    dataDir: join(directory, 'redis'),
    appendfsync: 'everysec',
    extraArgs: ['--auto-aof-rewrite-percentage', '0'],
  });
  const retireWatchdog = watchPid(redis.pid()!);
  const keyFile = join(directory, 'radgate.key');
  createKeyFile(keyFile);
  const settings: RadgateSettings = { directory, redisUrl: redis.url, keyFile, secret: BENCH_SECRET, extraYaml: options.extraYaml, logLevel: options.logLevel };
  const admin = await openAdmin(settings);
  const instances: RadgateInstance[] = [];
  return {
    name,
    redis,
    admin,
    settings,
    async startRadgate(instanceName, workers, nodeArgs) {
      const count = workers === 'auto' ? options.workersOfAuto : (workers ?? options.workersOfAuto);
      const instance = await startRadgate({ ...settings, workers }, { name: instanceName, nodeArgs, expectedWorkers: count > 1 ? count : 0 });
      instances.push(instance);
      return instance;
    },
    async close() {
      await Promise.all(instances.map((instance) => instance.stop()));
      await admin.close();
      await redis.stop();
      retireWatchdog();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
