import type { Logger } from 'pino';
import type { RadgateConfig } from '../config/types.js';
import { systemClock, type Clock } from '../credentials/clock.js';
import { startConsoleListener, type ConsoleRules } from '../console/server.js';
import { LiveConfig } from '../config/live-config.js';
import { openAdmin } from './admin-access.js';
import type { RunningWebApp } from './web-listener-command.js';

/** A running console: its port, what a reload does to it (the reloaded rules, a renewed certificate), and how to stop it. */
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
    const rules = new LiveConfig<ConsoleRules>({ service: admin.service, config });
    const listener = await startConsoleListener({
      backend: { audit: admin.audit, operators: admin.operators, operatorStore: admin.store.operators },
      rules,
      console: settings,
      clock,
      logger: logger.child({ component: 'console' }),
    });
    return {
      port: listener.address.port,
      // The CLI's rules as reloaded (PIN policy, lockout, user names, codes): the gateway applies
      // them at once, and so must the console. A console added, removed or moved, or its own
      // settings but the certificate, need a restart, as reload-diff.ts reports.
      reloading: (next) => {
        const certificate = listener.reloading(next.console);
        if ('problem' in certificate) return certificate;
        const nextRules: ConsoleRules = { service: admin.serviceFor(next), config: next };
        return {
          apply: () => {
            certificate.apply();
            rules.replace(nextRules);
          },
        };
      },
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
