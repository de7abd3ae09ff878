import type { Logger } from 'pino';
import type { RadgateConfig } from '../config/types.js';
import { RadgateError } from '../errors.js';
import { SmsProviderHealth } from '../self-service/provider-health.js';
import { SelfServiceActions } from '../self-service/self-service-actions.js';
import { DEFAULT_SELF_SERVICE_SETTINGS, type SelfServiceSettings } from '../self-service/self-service-settings.js';
import type { SelfService } from '../self-service/self-service.js';
import { smsSenderFor } from '../sms/open-sms.js';
import { openAdmin, type AdminAccess, type AdminAccessOptions } from './admin-access.js';

/** The self-service actions under one configuration: at start, and again at each reload. */
export type SelfServiceFor = (config: RadgateConfig, settings?: Partial<SelfServiceSettings>) => SelfService;

/**
 * Makes the self-service actions over an admin access already open (the console's, or the
 * self-service listener's own), for the configuration given: its PIN policy and user-name
 * rules, its code settings, the settings the web layer read from `self_service` (defaults
 * for what it leaves out), and its time zone for the SMS's expiry. The `sms` section is
 * `started`'s: a reload that changes it needs a restart (reload-diff.ts says so).
 */
export function selfServiceMaker(admin: AdminAccess, started: RadgateConfig, logger: Logger): SelfServiceFor {
  if (started.sms === undefined) {
    throw new RadgateError('RADGATE_CONFIG_INVALID', 'self-service sends codes by SMS: the config needs an sms section (README "Configuration reference: sms")');
  }
  const sms = started.sms;
  const { repository } = admin.store;
  // One for every rebuild: a reload does not forget that the provider is failing.
  const providerHealth = new SmsProviderHealth();
  return (config, settings = {}) =>
    new SelfServiceActions({
      service: config === started ? admin.service : admin.serviceFor(config),
      countRequest: (user, windowMs) => repository.countCodeRequest(user, windowMs),
      sender: smsSenderFor(sms, config.timeZone, logger),
      policy: config.policy,
      settings: { ...DEFAULT_SELF_SERVICE_SETTINGS, ...settings },
      logger,
      providerHealth,
    });
}

/** The self-service actions over an admin access already open, under `config`. */
export function selfServiceOver(admin: AdminAccess, config: RadgateConfig, logger: Logger, settings: Partial<SelfServiceSettings> = {}): SelfService {
  return selfServiceMaker(admin, config, logger)(config, settings);
}

/** The self-service actions on a store connection of their own; `forConfig` makes them again for a reloaded file; `close` ends the connection. */
export async function openSelfService(
  config: RadgateConfig,
  logger: Logger,
  options: AdminAccessOptions & { readonly settings?: Partial<SelfServiceSettings> },
): Promise<{ readonly selfService: SelfService; readonly forConfig: SelfServiceFor; close(): Promise<void> }> {
  const admin = await openAdmin(config, logger, options);
  try {
    const forConfig = selfServiceMaker(admin, config, logger);
    return { selfService: forConfig(config, options.settings), forConfig, close: () => admin.close() };
  } catch (error) {
    await admin.close();
    throw error;
  }
}
