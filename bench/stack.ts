/**
 * The bench's stack: the tests' one way to start radgate (harness/stack.ts) with
 * production settings, and `radgate serve` instances on it whose CPU is read from /proc.
 */
import { availableParallelism } from 'node:os';
import { TEST_SECRET } from '../harness/packets.js';
import { freeTcpPort, freeUdpPort } from '../harness/ports.js';
import type { ServeProcess } from '../harness/serve-process.js';
import type { TestRedisOptions } from '../harness/redis.js';
import { startStack, type Stack } from '../harness/stack.js';
import type { Target } from './load-generator.js';

export interface RadgateInstance {
  readonly target: Target;
  /** The same process over RADIUS/TLS, when started with `radsec`. */
  readonly radsecTarget?: Target;
  /** Its ops listener (/metrics), on a port picked for it. */
  readonly opsPort: number;
  /** The primary and its cluster workers. */
  pids(): number[];
  /** Resident set now (VmRSS), summed over the primary and its workers. */
  rssBytes(): number;
  /** Where its log goes (level BENCH_LOG_LEVEL, warn by default: a few lines). */
  readonly logFile: string;
  /** Settles when the primary exits (a crash, an out-of-memory kill, or stop()). */
  readonly exited: Promise<number | null>;
  stop(): Promise<void>;
}

export interface BenchStack {
  readonly name: string;
  readonly stack: Stack;
  /** The helpdesk's access, to enrol the bench's users. */
  readonly admin: Stack['admin'];
  /**
   * Starts `radgate serve` on this stack (workers: a count, `auto`, or the schema default);
   * with `radsec`, also listening for RADIUS over TLS (its `radsecTarget`).
   */
  startRadgate(name: string, workers: 'auto' | number | undefined, nodeArgs?: readonly string[], radsec?: { readonly section: (port: number) => string; readonly target: Omit<Target, 'port' | 'host'> }): Promise<RadgateInstance>;
  close(): Promise<void>;
}

/**
 * Every redis-server the bench measures (radgate's and FreeRADIUS + rlm_redis's): production
 * settings (AOF, fsync every second), except that AOF rewrites are off: a rewrite forks
 * mid-run and its CPU would land in some runs and not others.
 */
export const BENCH_REDIS: TestRedisOptions = { appendfsync: 'everysec', extraArgs: ['--auto-aof-rewrite-percentage', '0'] };

export async function startBenchStack(name: string, options: { extraYaml?: string; logLevel?: string; maxUsers?: number }): Promise<BenchStack> {
  // Above every population the bench enrols (about 102,000 users in the main stack): a
  // user without a copy would cost a second round trip.
  const extra = `user_cache:\n  max_users: ${options.maxUsers ?? 1_000_000}\n${options.extraYaml ?? ''}`;
  const stack = await startStack({
    redisServer: BENCH_REDIS,
    // The reject path is measured, not the reject delay (FreeRADIUS gets reject_delay = 0 too).
    policy: '  reject_delay_ms: 0\n  max_failures: 100\n',
    // radgate's log level: warn writes no line per request; info adds the decision line.
    logLevel: options.logLevel ?? 'warn',
    extra,
    captureLevel: 'warn',
  });
  return {
    name,
    stack,
    admin: stack.admin,
    async startRadgate(instanceName, workers, nodeArgs, radsec) {
      const count = workers === undefined || workers === 'auto' ? availableParallelism() : workers;
      // One process, or the primary and its workers.
      const processes = count > 1 ? count + 1 : 1;
      const logFile = `${stack.directory}/${instanceName}.log`;
      const start = async (): Promise<{ serve: ServeProcess; opsPort: number; radsecPort: number | undefined }> => {
        // An explicit port: the bench's log level (warn) hides the line that names the port.
        const port = await freeUdpPort();
        const opsPort = await freeTcpPort();
        const radsecPort = radsec === undefined ? undefined : await freeTcpPort();
        const serve = await stack.startServe({
          config: {
            workers: workers ?? 'auto',
            listen: `127.0.0.1:${port}`,
            ops: `  listen: "127.0.0.1:${opsPort}"\n`,
            ...(radsec === undefined ? {} : { extra: `${extra}${radsec.section(radsecPort!)}` }),
          },
          readyWhen: { port, processes },
          nodeArgs: nodeArgs ?? [],
          keepLines: false,
          logFile,
        });
        return { serve, opsPort, radsecPort };
      };
      // Another process may take the port between the pick and the bind: pick again.
      let started: Awaited<ReturnType<typeof start>> | undefined;
      for (let attempt = 1; started === undefined; attempt++) {
        started = await start().catch((error: unknown) => {
          if (attempt < 3 && error instanceof Error && error.message.includes('EADDRINUSE')) return undefined;
          throw error;
        });
      }
      const { serve, opsPort, radsecPort } = started;
      return {
        target: { host: '127.0.0.1', port: serve.port, secret: TEST_SECRET, requireReplyMessageAuthenticator: true },
        ...(radsec === undefined ? {} : { radsecTarget: { ...radsec.target, host: '127.0.0.1', port: radsecPort! } }),
        opsPort,
        pids: () => serve.pids(),
        logFile,
        exited: serve.exited,
        rssBytes: () => serve.rssBytes(),
        stop: async () => void (await serve.stop()),
      };
    },
    close: () => stack.close(),
  };
}
