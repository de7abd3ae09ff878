import cluster, { type Worker } from 'node:cluster';
import { ClusterRegistry } from '@prometheus-io/client';
import type { Logger } from 'pino';
import type { RadgateConfig } from '../config/types.js';
import { RadgateError } from '../errors.js';
import { startGateway, type GatewayOptions } from './gateway.js';
import { observeGateway, processRegistry } from './ops-endpoint.js';
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

function isReady(message: unknown): message is ReadyMessage {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'radgate-ready';
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
  const gateway = await startGateway(config, logger.child({ worker: cluster.worker?.id }), options);
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
  /** Resolves when every worker has stopped (after SIGTERM to each). */
  stop(): Promise<void>;
}

/**
 * Forks the workers and supervises them: a worker that dies unexpectedly is replaced,
 * with a pause so a crash loop does not spin.
 */
export async function startWorkers(count: number, logger: Logger): Promise<ClusterHandle> {
  let stopping = false;
  const health = new WorkerHealth(count);
  const fork = (): Promise<{ worker: Worker; message: ReadyMessage }> =>
    new Promise((resolve, reject) => {
      const worker = cluster.fork();
      const onExit = (code: number | null) => reject(new RadgateError('RADGATE_SERVE_WORKER_FAILED', `a gateway worker exited during start-up (code ${code}); see its log lines above`));
      worker.once('exit', onExit);
      worker.on('message', (message: unknown) => {
        if (!isReady(message)) return;
        worker.off('exit', onExit);
        health.started(worker, message.healthy);
        worker.once('exit', (code, signal) => {
          if (stopping) return;
          logger.error({ worker: worker.id, code, signal }, 'a gateway worker died; starting a replacement');
          setTimeout(() => void fork().catch((error: unknown) => logger.error({ err: error }, 'could not replace a gateway worker')), 1000);
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
  return { addresses: (started[0] as PromiseFulfilledResult<{ message: ReadyMessage }>).value.message.addresses, notReady: () => health.notReady(), stop };
}
