import { readFileSync } from 'node:fs';
import { collectDefaultMetrics, Gauge, type Registry } from '@prometheus-io/client';
import { registerSmsMetrics } from './sms-metrics.js';

/** radgate's version, from the package.json two folders above dist/src/observability. */
function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * What every radgate process reports about itself: the client library's default process
 * metrics (CPU, memory, file descriptors, garbage collection, event-loop lag as
 * `nodejs_eventloop_lag_*`), whose own aggregators sum them over the workers (lag: the
 * average, its max the max), and `radgate_build_info`, the usual constant 1 whose labels
 * say what runs (one series whatever the number of workers: aggregator `first`), and the
 * SMS sent from this process (sms-metrics.ts).
 */
export function registerProcessMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry });
  const build = new Gauge({
    name: 'radgate_build_info',
    help: 'Always 1; the labels say which radgate and which Node.js run.',
    labelNames: ['version', 'node'] as const,
    registers: [registry],
    aggregator: 'first',
  });
  build.set({ version: packageVersion(), node: process.version }, 1);
  registerSmsMetrics(registry);
}
