import cluster from 'node:cluster';
import { ClusterRegistry } from '@prometheus-io/client';
import type { Logger } from 'pino';
import type { RadgateConfig } from '../config/types.js';
import { createKeyFileIfMissing, loadKeyring } from '../keys/load-keyring.js';
import { runWorker, startWorkers, type ListeningAddress } from './cluster.js';
import { startGateway } from './gateway.js';
import { openStore, type OpenedStore } from './open-store.js';
import { startWebApps, type RunningWebApps } from './web-apps.js';
import { bind, OneProcessOps, processRegistry } from './ops-endpoint.js';
import { removePidFile, writePidFile } from './pid-file.js';
import { Reloader, type ApplyConfig, type ReadConfig } from './reload.js';
import { onReloadSignal, shutdownSignal } from './signals.js';

/** How long `serve` waits for Redis at start before giving up with a message. */
export const SERVE_CONNECT_TIMEOUT_MS = 5000;

export interface ServeOptions {
  /** Runs once every listener is bound, before "ready" is logged (the quick start's demo). */
  readonly onListening?: (addresses: readonly ListeningAddress[]) => Promise<void>;
}

/**
 * `radgate serve`: the gateway in this process, or a primary that forks one gateway per
 * worker. Resolves once stopped by SIGTERM or SIGINT, after the requests in progress.
 * SIGHUP reloads the configuration (serve/reload.ts), from the first moment on: before
 * "ready" it is ignored with a warning rather than left to its default action, which
 * ends the process.
 */
export async function serve(read: ReadConfig, logger: Logger, options: ServeOptions = {}): Promise<void> {
  const { config } = read;
  if (cluster.isWorker) return runWorker(config, logger, { connectTimeoutMs: SERVE_CONNECT_TIMEOUT_MS });
  let reloader: Reloader | undefined;
  const stopListening = onReloadSignal(() => {
    if (reloader === undefined) logger.warn('SIGHUP during start-up: ignored; send it again once "ready" is logged');
    else void reloader.reload(); // never rejects: it logs what went wrong
  });
  const ready = (apply: ApplyConfig): void => {
    reloader = new Reloader(config, apply, logger);
    writePidFile(config.pidFile, logger);
  };
  try {
    createKeyFileIfMissing(config.keys, logger);
    if (config.workers <= 1) await serveInOneProcess(config, logger, options, ready);
    else await serveWithWorkers(read, logger, options, ready);
  } finally {
    stopListening();
    removePidFile(config.pidFile);
  }
}

async function serveInOneProcess(config: RadgateConfig, logger: Logger, options: ServeOptions, ready: (apply: ApplyConfig) => void): Promise<void> {
  const ops = await OneProcessOps.open(config, logger);
  let gateway;
  let webApps: RunningWebApps | undefined;
  try {
    gateway = await startGateway(config, logger, { connectTimeoutMs: SERVE_CONNECT_TIMEOUT_MS, ownEmbeddedRedis: true });
    webApps = await startWebApps(config, logger, { connectTimeoutMs: SERVE_CONNECT_TIMEOUT_MS });
    await options.onListening?.(gateway.server.addresses());
  } catch (error) {
    await webApps?.close();
    await gateway?.stop();
    await ops.close();
    throw error;
  }
  const metrics = ops.serving(gateway);
  const running = gateway;
  const web = webApps;
  ready(async (read) => {
    const webChange = web.reloading(read.config);
    if ('problem' in webChange) return webChange.problem;
    running.config.replace(read.config);
    webChange.apply();
    logger.level = read.config.log.level;
    return undefined;
  });
  logger.info({ listen: gateway.server.addresses(), workers: 1, console: web.consolePort, self_service: web.selfServicePort }, 'ready');
  const signal = await shutdownSignal();
  logger.info({ signal }, 'stopping: finishing requests in progress');
  ops.beginStop();
  // The web apps first: they use the store the gateway's embedded Redis may be serving.
  await web.close();
  await gateway.stop();
  metrics.close();
  await ops.close();
  logger.info('stopped');
}

/**
 * The primary of a multi-worker gateway. It owns what must exist once: the embedded
 * redis-server (when no redis.url is set), which the workers join through its socket, and
 * the reload, which it validates once and hands to every worker (reload-workers.ts).
 */
async function serveWithWorkers(read: ReadConfig, logger: Logger, options: ServeOptions, ready: (apply: ApplyConfig) => void): Promise<void> {
  const { config } = read;
  // Fail once, here, with a clear message, rather than once per worker.
  loadKeyring(config.keys, logger);
  // /metrics merges this process's registry with every worker's, asked over IPC when
  // scraped; the listeners must be in place before the first worker announces itself.
  ClusterRegistry.setRegistries(processRegistry());
  const aggregator = new ClusterRegistry();
  let workers: Awaited<ReturnType<typeof startWorkers>> | undefined;
  let stopping = false;
  const ops = await bind(
    config,
    {
      metrics: async () => ({ contentType: aggregator.contentType, body: await aggregator.clusterMetrics() }),
      notReady: () => (stopping ? 'stopping' : workers === undefined ? 'starting' : workers.notReady()),
    },
    logger,
  );
  let embedded: OpenedStore | undefined;
  let webApps: RunningWebApps | undefined;
  try {
    embedded = config.redis.url === undefined ? await openStore(config, logger, { connectTimeoutMs: SERVE_CONNECT_TIMEOUT_MS, ownEmbeddedRedis: true }) : undefined;
    workers = await startWorkers(config.workers, logger, read);
    // One console and one set of self-service pages for the whole gateway, in the primary:
    // their sessions and per-source rate limits are one process's.
    webApps = await startWebApps(config, logger, { connectTimeoutMs: SERVE_CONNECT_TIMEOUT_MS });
    await options.onListening?.(workers.addresses);
  } catch (error) {
    await webApps?.close();
    await workers?.stop();
    await embedded?.close();
    await ops?.close();
    throw error;
  }
  const running = workers;
  const web = webApps;
  ready(async (read) => {
    const webChange = web.reloading(read.config);
    if ('problem' in webChange) return webChange.problem;
    const problem = await running.reload(read);
    if (problem !== undefined) return problem;
    webChange.apply();
    logger.level = read.config.log.level;
    return undefined;
  });
  logger.info({ listen: workers.addresses, workers: config.workers, console: web.consolePort, self_service: web.selfServicePort }, 'ready');
  const signal = await shutdownSignal();
  logger.info({ signal }, 'stopping: finishing requests in progress');
  stopping = true;
  await web.close();
  await workers.stop();
  await embedded?.close();
  await ops?.close();
  logger.info('stopped');
}
