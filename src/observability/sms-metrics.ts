/**
 * `radgate_sms_deliveries_total{provider,result}` (issue 18), heard on the smsDelivery
 * channel (events.ts). SMS are sent by whichever process runs the self-service pages (the
 * primary of several workers) or a CLI command, so the count is kept per process and every
 * process's registry reports it: the primary's /metrics sums it over the processes.
 */
import { subscribe } from 'node:diagnostics_channel';
import { Counter, type Registry } from '@prometheus-io/client';
import { smsDelivery, type SmsDeliveryEvent } from './events.js';

const counts = new Map<string, number>();
let listening = false;

function listen(): void {
  if (listening) return;
  listening = true;
  subscribe(smsDelivery.name, (message) => {
    const event = message as SmsDeliveryEvent;
    const key = `${event.provider}\0${event.result}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  });
}

export function registerSmsMetrics(registry: Registry): void {
  listen();
  new Counter({
    name: 'radgate_sms_deliveries_total',
    help: 'SMS handed to the provider (self-service codes, code issue --send-sms), by provider (webhook, command) and result (sent, failed).',
    labelNames: ['provider', 'result'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [key, count] of counts) {
        const [provider, result] = key.split('\0') as [string, string];
        this.inc({ provider, result }, count);
      }
    },
  });
}
