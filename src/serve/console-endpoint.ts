import type { Logger } from 'pino';
import type { RadgateConfig } from '../config/types.js';
import { systemClock, type Clock } from '../credentials/clock.js';
import { startConsoleListener } from '../console/server.js';
import { openAdmin } from './admin-access.js';
import type { RunningWebApp } from './web-listener-command.js';

/** A running console: its port, what a reload does to it (a renewed certificate), and how to stop it. */
export type RunningConsole = RunningWebApp;

/**
 * The helpdesk console's wiring (README "Helpdesk console"): its own admin access (the
 * CLI's services, on a connection of its own, so the RADIUS path shares nothing with it)
 * and its HTTPS listener. Undefined when the config has no console or `console.listen: off`.
 * `serve` runs it in the process that owns the listeners (the primary of several workers),
 * `radgate console` on its own.
 */
export async function startConsole(config: RadgateConfig, logger: Logger, options: { readonly connectTimeoutMs: number; readonly clock?: Clock }): Promise<RunningConsole | undefined> {
  const settings = config.console;
  if (settings?.listen === undefined) return undefined;
  const clock = options.clock ?? systemClock;
  const admin = await openAdmin(config, logger, { connectTimeoutMs: options.connectTimeoutMs, clock });
  try {
    const listener = await startConsoleListener({
      backend: { service: admin.service, audit: admin.audit, operators: admin.operators, operatorStore: admin.store.operators },
      config,
      console: settings,
      clock,
      logger: logger.child({ component: 'console' }),
    });
    return {
      port: listener.address.port,
      // A console added, removed or moved needs a restart, as reload-diff.ts reports.
      reloading: (next) => listener.reloading(next.console),
      close: async () => {
        await listener.close();
        await admin.close();
      },
    };
  } catch (error) {
    await admin.close();
    throw error;
  }
}
