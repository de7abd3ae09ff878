import type { Logger } from 'pino';
import type { RadgateConfig } from '../config/types.js';
import { RadgateError } from '../errors.js';
import { SelfServiceActions } from '../self-service/self-service-actions.js';
import { DEFAULT_SELF_SERVICE_SETTINGS, type SelfServiceSettings } from '../self-service/self-service-settings.js';
import type { SelfService } from '../self-service/self-service.js';
import { smsSenderFor } from '../sms/open-sms.js';
import { openAdmin, type AdminAccess, type AdminAccessOptions } from './admin-access.js';

/**
 * The self-service actions over an admin access already open (the console's, or the
 * self-service listener's own): the SMS sender from the `sms` section, the settings the web
 * layer read from `self_service` (defaults for what it leaves out).
 */
export function selfServiceOver(admin: AdminAccess, config: RadgateConfig, logger: Logger, settings: Partial<SelfServiceSettings> = {}): SelfService {
  if (config.sms === undefined) {
    throw new RadgateError('RADGATE_CONFIG_INVALID', 'self-service sends codes by SMS: the config needs an sms section (README "Configuration reference: sms")');
  }
  const { repository } = admin.store;
  return new SelfServiceActions({
    service: admin.service,
    countRequest: (user, windowMs) => repository.countCodeRequest(user, windowMs),
    sender: smsSenderFor(config.sms, config.timeZone, logger),
    policy: config.policy,
    settings: { ...DEFAULT_SELF_SERVICE_SETTINGS, ...settings },
    logger,
  });
}

/** The self-service actions on a store connection of their own; `close` ends it. */
export async function openSelfService(
  config: RadgateConfig,
  logger: Logger,
  options: AdminAccessOptions & { readonly settings?: Partial<SelfServiceSettings> },
): Promise<{ readonly selfService: SelfService; close(): Promise<void> }> {
  const admin = await openAdmin(config, logger, options);
  try {
    return { selfService: selfServiceOver(admin, config, logger, options.settings), close: () => admin.close() };
  } catch (error) {
    await admin.close();
    throw error;
  }
}
