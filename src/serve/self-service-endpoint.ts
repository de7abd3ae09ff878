import { isDeepStrictEqual } from 'node:util';
import type { Logger } from 'pino';
import { LiveConfig } from '../config/live-config.js';
import type { RadgateConfig, SelfServiceConfig } from '../config/types.js';
import { systemClock, type Clock } from '../credentials/clock.js';
import { startSelfServiceListener, type SelfServiceRules } from '../self-service/web/server.js';
import { openSelfService, type SelfServiceFor } from './self-service-access.js';
import type { RunningWebApp } from './web-listener-command.js';

/** Running self-service pages: their port, what a reload does to them, and how to stop them. */
export type RunningSelfService = RunningWebApp;

/**
 * What the rules behind the pages are made of: the credential service's settings (PIN
 * policy, lockout, user-name rules, codes, time zone, challenge, token issuer) and the
 * service's own. When none changed, a reload keeps the actions it has, with the SMS
 * provider's health they learnt (SelfServiceActions answers by it).
 */
const rulesInputs = (config: RadgateConfig, section: SelfServiceConfig): unknown[] => [config.policy, config.codes, config.timeZone, config.challenge, config.tokenIssuer, section.service];

function rulesFor(forConfig: SelfServiceFor, config: RadgateConfig, section: SelfServiceConfig): SelfServiceRules {
  return { service: forConfig(config, section.service), pin: config.policy.pin, codeLifetime: section.service.codeLifetime };
}

/**
 * The self-service pages' wiring (README "Self-service"): the actions behind them on a
 * store connection of their own (so the RADIUS path shares nothing with them), and their
 * HTTPS listener. Undefined when the config has no self_service section or
 * `self_service.listen: off`. `serve` runs them in the process that owns the listeners (the
 * primary of several workers: the per-source limit is one process's count), `radgate
 * self-service` on their own. A reload makes the actions again under the reloaded `policy`,
 * `codes`, `time_zone` and `self_service` service settings, as the gateway applies them, and
 * puts a renewed certificate in use; the listener's own settings need a restart.
 */
export async function startSelfService(config: RadgateConfig, logger: Logger, options: { readonly connectTimeoutMs: number; readonly clock?: Clock }): Promise<RunningSelfService | undefined> {
  const settings = config.selfService;
  if (settings?.listen === undefined) return undefined;
  const opened = await openSelfService(config, logger, { connectTimeoutMs: options.connectTimeoutMs, clock: options.clock ?? systemClock, settings: settings.service });
  try {
    const rules = new LiveConfig<SelfServiceRules>({ service: opened.selfService, pin: config.policy.pin, codeLifetime: settings.service.codeLifetime });
    let inputs = rulesInputs(config, settings);
    const listener = await startSelfServiceListener({ rules, settings, logger: logger.child({ component: 'self-service' }) });
    return {
      port: listener.address.port,
      reloading: (next) => {
        // The section gone: the pages run on as they are until a restart, as reload-diff.ts reports.
        const section = next.selfService;
        if (section === undefined) return { apply: () => undefined };
        const certificate = listener.reloading(section);
        if ('problem' in certificate) return certificate;
        const nextInputs = rulesInputs(next, section);
        if (isDeepStrictEqual(nextInputs, inputs)) return certificate;
        let nextRules: SelfServiceRules;
        try {
          nextRules = rulesFor(opened.forConfig, next, section);
        } catch (error) {
          return { problem: `self_service: ${(error as Error).message}` };
        }
        return {
          apply: () => {
            certificate.apply();
            rules.replace(nextRules);
            inputs = nextInputs;
          },
        };
      },
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
