import type { Logger } from 'pino';
import type { RadgateConfig } from '../config/types.js';
import type { Clock } from '../credentials/clock.js';
import { startConsole } from './console-endpoint.js';
import { startSelfService } from './self-service-endpoint.js';
import type { RunningWebApp } from './web-listener-command.js';

/** The web apps `serve` runs beside the gateway: the helpdesk console and the self-service pages, each when configured. */
export interface RunningWebApps {
  readonly consolePort: number | undefined;
  readonly selfServicePort: number | undefined;
  /** Renewed certificates of both, checked now; `apply` puts them in use. */
  reloading(config: RadgateConfig): { readonly problem: string } | { readonly apply: () => void };
  close(): Promise<void>;
}

/**
 * Starts the configured web apps, each on its own store connection and HTTPS listener; if
 * one cannot start, the other is closed again and the error goes on. They run in the
 * process that owns the listeners (the primary of several workers).
 */
export async function startWebApps(config: RadgateConfig, logger: Logger, options: { readonly connectTimeoutMs: number; readonly clock?: Clock }): Promise<RunningWebApps> {
  const started: RunningWebApp[] = [];
  try {
    const helpdeskConsole = await startConsole(config, logger, options);
    if (helpdeskConsole !== undefined) started.push(helpdeskConsole);
    const selfService = await startSelfService(config, logger, options);
    if (selfService !== undefined) started.push(selfService);
    return {
      consolePort: helpdeskConsole?.port,
      selfServicePort: selfService?.port,
      reloading: (next) => {
        const changes = started.map((app) => app.reloading(next));
        const refused = changes.find((change) => 'problem' in change);
        if (refused !== undefined) return refused;
        return { apply: () => changes.forEach((change) => 'apply' in change && change.apply()) };
      },
      close: async () => {
        for (const app of started) await app.close();
      },
    };
  } catch (error) {
    for (const app of started) await app.close();
    throw error;
  }
}
