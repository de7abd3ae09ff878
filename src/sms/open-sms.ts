import type { Logger } from 'pino';
import type { SmsConfig } from '../config/sms-config.js';
import { CommandProvider } from './command-provider.js';
import { SmsSender } from './sms-sender.js';
import { WebhookProvider } from './webhook-provider.js';

/** The sender the `sms` section describes; `timeZone` is the helpdesk's (config `time_zone`), where `{expires}` is shown. */
export function smsSenderFor(config: SmsConfig, timeZone: string, logger: Logger): SmsSender {
  const provider = config.provider === 'webhook' ? new WebhookProvider(config.webhook) : new CommandProvider(config.command);
  return new SmsSender(provider, { template: config.message, timeZone, logger: logger.child({ component: 'sms' }) });
}
