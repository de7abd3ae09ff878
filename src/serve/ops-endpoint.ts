import { ClusterRegistry, Registry } from '@prometheus-io/client';
import type { Logger } from 'pino';
import type { RadgateConfig } from '../config/types.js';
import { GatewayMetrics } from '../observability/gateway-metrics.js';
import { registerProcessMetrics } from '../observability/process-metrics.js';
import { OpsListener, type OpsProbes } from '../ops/ops-listener.js';
import type { Gateway } from './gateway.js';

/**
 * The ops listener's wiring (README "Operations"): which registry /metrics shows and what
 * /ready asks, for a gateway in one process and for the primary of several workers. The
 * listener is bound before anything else starts, so a busy port fails `serve` at once,
 * with nothing to undo; /ready says "starting" until the gateway listens.
 */

/** The gateway's metrics in this process's registry; stopped with the gateway. */
export function observeGateway(registry: Registry, gateway: Gateway): GatewayMetrics {
  return new GatewayMetrics(registry, {
    transport: gateway.server.counters,
    replyCacheEntries: () => gateway.server.replyCacheSize,
    userCopies: () => gateway.copies.size,
    userCopyArenaBytes: () => gateway.copies.arenaBytes.allocated,
    pendingChallenges: () => gateway.copies.pendingChallenges(Date.now()),
    storeHealthy: () => gateway.store.isHealthy(),
    ...(gateway.radsec === undefined ? {} : { radsec: { counters: gateway.radsec.counters, openConnections: () => gateway.radsec!.openConnections } }),
  });
}

/** A registry with this process's own metrics (process-metrics.ts). */
export function processRegistry(): Registry {
  const registry = new Registry();
  registerProcessMetrics(registry);
  return registry;
}

export async function bind(config: RadgateConfig, probes: OpsProbes, logger: Logger): Promise<OpsListener | undefined> {
  if (config.ops.listen === undefined) return undefined;
  return OpsListener.start(config.ops.listen, config.ops, probes, logger);
}

/** `workers: 1`: the gateway in this process answers for itself. */
export class OneProcessOps {
  private gateway: Gateway | undefined;
  private stopping = false;
  readonly registry = processRegistry();

  private constructor(private listener: OpsListener | undefined) {}

  static async open(config: RadgateConfig, logger: Logger): Promise<OneProcessOps> {
    const ops = new OneProcessOps(undefined);
    ops.listener = await bind(
      config,
      {
        metrics: async () => ({ contentType: ops.registry.contentType, body: await ops.registry.metrics() }),
        notReady: () => ops.notReady(),
      },
      logger,
    );
    return ops;
  }

  private notReady(): string | undefined {
    if (this.stopping) return 'stopping';
    if (this.gateway === undefined) return 'starting';
    return this.gateway.store.isHealthy() ? undefined : 'credential store unavailable';
  }

  serving(gateway: Gateway): GatewayMetrics {
    this.gateway = gateway;
    return observeGateway(this.registry, gateway);
  }

  /** /ready turns 503 while the requests in progress finish. */
  beginStop(): void {
    this.stopping = true;
  }

  close(): Promise<void> {
    return this.listener?.close() ?? Promise.resolve();
  }
}
