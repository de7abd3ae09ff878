import cluster, { type Worker } from 'node:cluster';
import { ClusterRegistry } from '@prometheus-io/client';
import type { Logger } from 'pino';
import type { RadgateConfig } from '../config/types.js';
import { ERROR_CODES, RadgateError, type RadgateErrorCode } from '../errors.js';
import { startGateway, type GatewayOptions } from './gateway.js';
import { observeGateway, processRegistry } from './ops-endpoint.js';
import type { ReadConfig } from './reload.js';
import { acceptReloads, reloadWorkers } from './reload-workers.js';
import { answerConfigRequests } from './worker-config.js';
import { shutdownSignal } from './signals.js';
import { WorkerHealth, type HealthMessage } from './worker-health.js';

export interface ListeningAddress {
  readonly address: string;
  readonly port: number;
  readonly family: string;
}

/** What a worker tells the primary once its listeners are bound. */
interface ReadyMessage {
  readonly type: 'radgate-ready';
  readonly addresses: readonly ListeningAddress[];
  /** Whether the worker reaches Redis now (later changes follow as HealthMessages). */
  readonly healthy: boolean;
}

/** What a worker tells the primary when it cannot start (a port in use, Redis unreachable). */
interface FailedMessage {
  readonly type: 'radgate-failed';
  readonly code: string | undefined;
  readonly message: string;
}

function isMessage<T extends { type: string }>(message: unknown, type: T['type']): message is T {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === type;
}

/**
 * One gateway per worker process: Node runs JavaScript on one thread, so a core per worker.
 * Node's cluster shares each UDP socket among the workers (on Node 20 there is no
 * reusePort for dgram); the kernel hands each datagram to one of them. What a worker keeps
 * (its reply cache, its copies of the user records) is only ever a shortcut: a
 * retransmission that reaches another worker gets the same answer from the decision stored
 * in Redis, and a copy made out of date by another worker is refused by its revision,
 * exactly as with separate instances.
 */
export async function runWorker(config: RadgateConfig, logger: Logger, options: GatewayOptions): Promise<void> {
  // A reload reaches a worker from the primary (reload-workers.ts). A SIGHUP sent to the
  // whole process group (a closed terminal) must not kill it meanwhile.
  process.on('SIGHUP', () => undefined);
  let gateway;
  try {
    gateway = await startGateway(config, logger.child({ worker: cluster.worker?.id }), options);
  } catch (error) {
    // Tell the primary why, then let go of the IPC channel, which would keep this process
    // alive: the primary sees the exit and stops, rather than wait for a ready that never comes.
    const failed: FailedMessage = { type: 'radgate-failed', code: (error as { code?: string }).code, message: error instanceof Error ? error.message : String(error) };
    await new Promise<void>((resolve) => process.send?.(failed, undefined, undefined, () => resolve()) ?? resolve());
    process.disconnect?.();
    // The primary prints the reason once for all workers; this one only exits non-zero.
    process.exitCode = 1;
    return;
  }
  acceptReloads(gateway.config, logger);
  // The primary's /metrics asks each worker for its registry over IPC and merges them
  // (the client library's ClusterRegistry, prom-client's AggregatorRegistry renamed).
  const registry = processRegistry();
  const metrics = observeGateway(registry, gateway);
  ClusterRegistry.setRegistries(registry);
  new ClusterRegistry();
  gateway.store.connection.onHealthChange((healthy) => process.send?.({ type: 'radgate-health', healthy } satisfies HealthMessage));
  process.send?.({ type: 'radgate-ready', addresses: gateway.server.addresses(), healthy: gateway.store.isHealthy() } satisfies ReadyMessage);
  await shutdownSignal();
  await gateway.stop();
  metrics.close();
  // The IPC channel to the primary would keep the event loop alive.
  process.disconnect?.();
}

export interface ClusterHandle {
  readonly addresses: ReadyMessage['addresses'];
  /** Undefined while every worker runs and reaches Redis, else why not (/ready). */
  notReady(): string | undefined;
  /** Puts a validated configuration in force in every running worker; resolves with why not, or undefined. */
  reload(read: ReadConfig): Promise<string | undefined>;
  /** Resolves when every worker has stopped (after SIGTERM to each). */
  stop(): Promise<void>;
}

/** A worker's start-up failure as the primary reports it: the worker's own reason and code. */
function startFailure(code: number | null, failed: FailedMessage | undefined): RadgateError {
  if (failed === undefined) return new RadgateError('RADGATE_SERVE_WORKER_FAILED', `a gateway worker exited during start-up (code ${code}); see its log lines above`);
  const known = (ERROR_CODES as readonly string[]).includes(failed.code ?? '');
  return new RadgateError(known ? (failed.code as RadgateErrorCode) : 'RADGATE_SERVE_WORKER_FAILED', known ? failed.message : `a gateway worker could not start: ${failed.message}`);
}

/**
 * Forks the workers and supervises them: a worker that dies unexpectedly is replaced,
 * with a pause so a crash loop does not spin.
 */
export async function startWorkers(count: number, logger: Logger, initial: ReadConfig): Promise<ClusterHandle> {
  let stopping = false;
  const health = new WorkerHealth(count);
  // The configuration in force: every worker is given it at start (worker-config.ts), never
  // the file on disk, and a reload replaces it once every ready worker has taken it.
  let committed = initial;
  /** What each ready worker runs: a worker given an older one while a reload ran catches up. */
  const inForce = new Map<Worker, ReadConfig>();
  const ready = new Set<Worker>();
  const catchUp = (worker: Worker): void => {
    const target = committed;
    if (inForce.get(worker) === target) return;
    void reloadWorkers([worker], target, logger).then((problem) => {
      if (problem === undefined) inForce.set(worker, target);
      else logger.error({ worker: worker.id, problem }, 'a gateway worker could not take the configuration in force');
    });
  };
  const replace = (delayMs: number): void => {
    setTimeout(() => {
      if (stopping) return;
      // Redis down, say: keep trying, more slowly, so the gateway gets back to full strength.
      fork().catch((error: unknown) => {
        logger.error({ err: error, retry_in_ms: Math.min(delayMs * 2, 30_000) }, 'could not replace a gateway worker; trying again');
        replace(Math.min(delayMs * 2, 30_000));
      });
    }, delayMs);
  };
  const fork = (): Promise<{ worker: Worker; message: ReadyMessage }> =>
    new Promise((resolve, reject) => {
      const worker = cluster.fork();
      let given: ReadConfig = committed;
      answerConfigRequests(worker, () => committed, (read) => (given = read));
      let failed: FailedMessage | undefined;
      const onExit = (code: number | null) => reject(startFailure(code, failed));
      worker.once('exit', onExit);
      worker.on('message', (message: unknown) => {
        if (isMessage<FailedMessage>(message, 'radgate-failed')) failed = message;
        if (!isMessage<ReadyMessage>(message, 'radgate-ready')) return;
        worker.off('exit', onExit);
        health.started(worker, message.healthy);
        ready.add(worker);
        inForce.set(worker, given);
        catchUp(worker);
        worker.once('exit', (code, signal) => {
          ready.delete(worker);
          inForce.delete(worker);
          if (stopping) return;
          logger.error({ worker: worker.id, code, signal }, 'a gateway worker died; starting a replacement');
          replace(1000);
        });
        resolve({ worker, message });
      });
    });
  const stop = async (): Promise<void> => {
    stopping = true;
    const workers = Object.values(cluster.workers ?? {}).filter((worker): worker is Worker => worker !== undefined);
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve) => {
            if (worker.isDead()) return resolve();
            worker.once('exit', () => resolve());
            worker.process.kill('SIGTERM');
          }),
      ),
    );
  };
  const started = await Promise.allSettled(Array.from({ length: count }, fork));
  const failed = started.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed !== undefined) {
    // One worker could not start: stop the others rather than serve at partial strength.
    await stop();
    throw failed.reason;
  }
  return {
    addresses: (started[0] as PromiseFulfilledResult<{ message: ReadyMessage }>).value.message.addresses,
    notReady: () => health.notReady(),
    reload: async (read) => {
      const workers = [...ready];
      const problem = await reloadWorkers(workers, read, logger);
      if (problem !== undefined) return problem;
      committed = read;
      for (const worker of workers) inForce.set(worker, read);
      for (const worker of ready) catchUp(worker);
      return undefined;
    },
    stop,
  };
}
