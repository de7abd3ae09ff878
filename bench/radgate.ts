/**
 * radgate under test: `radgate serve` in a process of its own (so its CPU can be read
 * from /proc apart from the load generator's), configured from a generated YAML file on
 * a loopback port, sharing a Redis and a key file with the bench's admin connection.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../src/config/load.js';
import { configSchema } from '../src/config/schema.js';
import { openCredentials, type Credentials } from '../src/gateway.js';
import { createLogger } from '../src/observability/logger.js';
import { answersStatusServer, type Target } from './load-generator.js';
import { freeUdpPort, sleep, startServerProcess, type ServerProcess } from './processes.js';
import { processTree } from './proc-stats.js';

/** Compiled to dist/bench/radgate.js; the CLI is dist/src/cli/main.js. */
const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

/** True once the lead's `workers` key is in the config schema (Node cluster, one process per core). */
export const WORKERS_SUPPORTED = 'workers' in configSchema.properties;

export interface RadgateSettings {
  /** Directory for the config file (and the key file, if it creates one). */
  readonly directory: string;
  readonly redisUrl: string;
  readonly keyFile: string;
  readonly secret: string;
  /** `auto`, a count, or undefined for the schema default (and for a schema without `workers`). */
  readonly workers?: 'auto' | number;
  /** More top-level YAML (e.g. a `challenge:` section); `policy:` is written here. */
  readonly extraYaml?: string;
  readonly maxFailures?: number;
  /** radgate's log level (default warn: no line per request; `info` adds the audit line per decision). */
  readonly logLevel?: string;
}

function configText(settings: RadgateSettings, port: number): string {
  const workers = settings.workers === undefined || !WORKERS_SUPPORTED ? '' : `workers: ${settings.workers}\n`;
  return `# Written by the radgate end-to-end bench.
listen: ["127.0.0.1:${port}"]
clients:
  - name: bench-nas
    address: 127.0.0.1
    secret: ${JSON.stringify(settings.secret)}
redis:
  url: ${settings.redisUrl}
keys:
  file: ${settings.keyFile}
policy:
  # The reject path is measured, not the reject delay (FreeRADIUS gets reject_delay = 0 too).
  reject_delay_ms: 0
  max_failures: ${settings.maxFailures ?? 100}
log:
  level: ${settings.logLevel ?? 'warn'}
# Above every population the bench enrols (about 102,000 users in the main stack), as the
# README asks: a user without a copy would cost a second round trip.
user_cache:
  max_users: 1000000
${workers}${settings.extraYaml ?? ''}`;
}

/** The same config in this process: the admin side (CredentialService) for populating Redis. */
export async function openAdmin(settings: RadgateSettings): Promise<Credentials> {
  const source = join(settings.directory, 'admin.yaml');
  const text = configText({ ...settings, workers: undefined }, 1812);
  writeFileSync(source, text);
  const config = parseConfig(text, { source, baseDir: settings.directory, env: {} });
  // Warnings to stderr: stdout carries the bench's table.
  return openCredentials(config, createLogger({ level: 'warn' }, process.stderr));
}

export interface RadgateInstance {
  readonly target: Target;
  readonly process: ServerProcess;
  /** The primary and its cluster workers. */
  pids(): number[];
  stop(): Promise<void>;
}

/**
 * Starts `radgate serve --config FILE` and resolves once it answers Status-Server and, with
 * several workers, once every worker process exists (the first worker to bind answers
 * before the others are up; the bench's warm-up covers the rest of their start).
 */
export async function startRadgate(settings: RadgateSettings, options: { name: string; nodeArgs?: readonly string[]; expectedWorkers?: number; startTimeoutMs?: number }): Promise<RadgateInstance> {
  const port = await freeUdpPort();
  const file = join(settings.directory, `${options.name}.yaml`);
  writeFileSync(file, configText(settings, port));
  const server = startServerProcess(process.execPath, [...(options.nodeArgs ?? []), CLI, 'serve', '--config', file], {
    cwd: settings.directory,
    logFile: join(settings.directory, `${options.name}.log`),
  });
  const target: Target = { host: '127.0.0.1', port, secret: Buffer.from(settings.secret), requireReplyMessageAuthenticator: true };
  const deadline = Date.now() + (options.startTimeoutMs ?? 20_000);
  const failed = (why: string) => new Error(`radgate (${options.name}) ${why}; its last output:\n  ${server.output().join('\n  ')}`);
  for (;;) {
    if (server.child.exitCode !== null || server.child.signalCode !== null) throw failed('exited during start-up');
    if (Date.now() > deadline) {
      await server.stop(1000);
      throw failed('did not answer Status-Server in time');
    }
    if (await answersStatusServer(target, 250)) break;
  }
  const expected = 1 + (WORKERS_SUPPORTED ? (options.expectedWorkers ?? 0) : 0);
  while (processTree(server.pid).length < expected && Date.now() < deadline) await sleep(50);
  return {
    target,
    process: server,
    pids: () => processTree(server.pid),
    stop: () => server.stop(),
  };
}
