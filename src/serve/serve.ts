import cluster from 'node:cluster';
import type { Logger } from 'pino';
import type { RadgateConfig } from '../config/types.js';
import { createKeyFileIfMissing, loadKeyring } from '../keys/load-keyring.js';
import { runWorker, startWorkers, type ListeningAddress } from './cluster.js';
import { startGateway } from './gateway.js';
import { openStore, type OpenedStore } from './open-store.js';
import { shutdownSignal } from './signals.js';

/** How long `serve` waits for Redis at start before giving up with a message. */
export const SERVE_CONNECT_TIMEOUT_MS = 5000;

export interface ServeOptions {
  /** Runs once every listener is bound, before "ready" is logged (the quick start's demo). */
  readonly onListening?: (addresses: readonly ListeningAddress[]) => Promise<void>;
}

/**
 * `radgate serve`: the gateway in this process, or a primary that forks one gateway per
 * worker. Resolves once stopped by SIGTERM or SIGINT, after the requests in progress.
 */
export async function serve(config: RadgateConfig, logger: Logger, options: ServeOptions = {}): Promise<void> {
  if (cluster.isWorker) return runWorker(config, logger, { connectTimeoutMs: SERVE_CONNECT_TIMEOUT_MS });
  createKeyFileIfMissing(config.keys, logger);
  if (config.workers <= 1) return serveInOneProcess(config, logger, options);
  return serveWithWorkers(config, logger, options);
}

async function serveInOneProcess(config: RadgateConfig, logger: Logger, options: ServeOptions): Promise<void> {
  const gateway = await startGateway(config, logger, { connectTimeoutMs: SERVE_CONNECT_TIMEOUT_MS });
  try {
    await options.onListening?.(gateway.server.addresses());
  } catch (error) {
    await gateway.stop();
    throw error;
  }
  logger.info({ listen: gateway.server.addresses(), workers: 1 }, 'ready');
  const signal = await shutdownSignal();
  logger.info({ signal }, 'stopping: finishing requests in progress');
  await gateway.stop();
  logger.info('stopped');
}

/**
 * The primary of a multi-worker gateway. It owns what must exist once: the embedded
 * redis-server (when no redis.url is set), which the workers join through its socket.
 */
async function serveWithWorkers(config: RadgateConfig, logger: Logger, options: ServeOptions): Promise<void> {
  // Fail once, here, with a clear message, rather than once per worker.
  loadKeyring(config.keys, logger);
  const embedded: OpenedStore | undefined = config.redis.url === undefined ? await openStore(config, logger, { connectTimeoutMs: SERVE_CONNECT_TIMEOUT_MS }) : undefined;
  let workers;
  try {
    workers = await startWorkers(config.workers, logger);
    await options.onListening?.(workers.addresses);
  } catch (error) {
    await workers?.stop();
    await embedded?.close();
    throw error;
  }
  logger.info({ listen: workers.addresses, workers: config.workers }, 'ready');
  const signal = await shutdownSignal();
  logger.info({ signal }, 'stopping: finishing requests in progress');
  await workers.stop();
  await embedded?.close();
  logger.info('stopped');
}
