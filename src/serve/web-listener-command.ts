import type { Logger } from 'pino';
import { readConfigFile } from '../config/load.js';
import type { RadgateConfig } from '../config/types.js';
import { onReloadSignal, shutdownSignal } from './signals.js';

/** A web app started on its own (console-endpoint.ts, self-service-endpoint.ts). */
export interface RunningWebApp {
  readonly port: number;
  reloading(config: RadgateConfig): { readonly problem: string } | { readonly apply: () => void };
  close(): Promise<void>;
}

/**
 * `radgate console` and `radgate self-service`: one web app in the foreground until SIGTERM
 * or SIGINT. SIGHUP reloads what `serve` reloads for the app: a renewed certificate, and the
 * rules behind it (`policy`, `codes`, the self-service settings); the listener's own
 * settings need a restart. A file that cannot be used changes nothing.
 */
export async function runWebListener(configPath: string, logger: Logger, name: 'console' | 'self-service', start: () => Promise<RunningWebApp | undefined>): Promise<void> {
  let running: RunningWebApp | undefined;
  const stopListening = onReloadSignal(() => {
    try {
      const change = running?.reloading(readConfigFile(configPath).config);
      if (change !== undefined && 'problem' in change) logger.error({ event: 'reload', outcome: 'refused' }, change.problem);
      else change?.apply();
    } catch (error) {
      logger.error({ event: 'reload', outcome: 'refused', err: error }, 'configuration reload refused; the running certificate stays in force');
    }
  });
  running = await start();
  logger.info({ [name]: running?.port }, 'ready');
  const signal = await shutdownSignal();
  stopListening();
  logger.info({ signal }, 'stopping');
  await running?.close();
  logger.info('stopped');
}
