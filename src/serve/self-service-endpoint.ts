import type { Logger } from 'pino';
import type { RadgateConfig } from '../config/types.js';
import { systemClock, type Clock } from '../credentials/clock.js';
import { startSelfServiceListener } from '../self-service/web/server.js';
import { openSelfService } from './self-service-access.js';
import type { RunningWebApp } from './web-listener-command.js';

/** Running self-service pages: their port, what a reload does to them (a renewed certificate), and how to stop them. */
export type RunningSelfService = RunningWebApp;

/**
 * The self-service pages' wiring (README "Self-service"): the actions behind them on a
 * store connection of their own (so the RADIUS path shares nothing with them), and their
 * HTTPS listener. Undefined when the config has no self_service section or
 * `self_service.listen: off`. `serve` runs them in the process that owns the listeners (the
 * primary of several workers: the per-source limit is one process's count), `radgate
 * self-service` on their own.
 */
export async function startSelfService(config: RadgateConfig, logger: Logger, options: { readonly connectTimeoutMs: number; readonly clock?: Clock }): Promise<RunningSelfService | undefined> {
  const settings = config.selfService;
  if (settings?.listen === undefined) return undefined;
  const opened = await openSelfService(config, logger, { connectTimeoutMs: options.connectTimeoutMs, clock: options.clock ?? systemClock, settings: settings.service });
  try {
    const listener = await startSelfServiceListener({ service: opened.selfService, settings, pin: config.policy.pin, logger: logger.child({ component: 'self-service' }) });
    return {
      port: listener.address.port,
      // Pages added, removed or moved need a restart, as reload-diff.ts reports.
      reloading: (next) => listener.reloading(next.selfService),
      close: async () => {
        await listener.close();
        await opened.close();
      },
    };
  } catch (error) {
    await opened.close();
    throw error;
  }
}
