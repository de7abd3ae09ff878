import type { CommandModule } from 'yargs';
import { readConfigFile } from '../../config/load.js';
import { createLogger } from '../../observability/logger.js';
import { startConsole } from '../../serve/console-endpoint.js';
import { SERVE_CONNECT_TIMEOUT_MS } from '../../serve/serve.js';
import { onReloadSignal, shutdownSignal } from '../../serve/signals.js';
import { locateConfigFile } from '../config-path.js';
import { refusal } from '../exit.js';
import type { GlobalOptions } from '../global-options.js';

/**
 * `radgate console`: the helpdesk console on its own, for a host that runs no RADIUS
 * listener (a helpdesk network segment), over the same store and key file as the gateways.
 */
export const consoleCommand: CommandModule<GlobalOptions, GlobalOptions> = {
  command: 'console',
  describe: 'Run the helpdesk web console (HTTPS, config section console) on its own, in the foreground',
  builder: (yargs) => yargs.example('$0 console --config /etc/radgate/radgate.yaml', 'serve the console on console.listen (default 127.0.0.1:8443)'),
  handler: async (argv) => {
    const { config } = readConfigFile(locateConfigFile(argv.config));
    if (config.console?.listen === undefined) throw refusal('the config has no console section (or console.listen is off): see README "Helpdesk console"');
    const logger = createLogger(config.log);
    const path = locateConfigFile(argv.config);
    // SIGHUP: a renewed certificate, as `serve` reloads it (the rest of the section needs a restart).
    const stopListening = onReloadSignal(() => {
      try {
        const change = running?.reloading(readConfigFile(path).config);
        if (change !== undefined && 'problem' in change) logger.error({ event: 'reload', outcome: 'refused' }, change.problem);
        else change?.apply();
      } catch (error) {
        logger.error({ event: 'reload', outcome: 'refused', err: error }, 'configuration reload refused; the running certificate stays in force');
      }
    });
    const running = await startConsole(config, logger, { connectTimeoutMs: SERVE_CONNECT_TIMEOUT_MS });
    logger.info({ console: running?.port }, 'ready');
    const signal = await shutdownSignal();
    stopListening();
    logger.info({ signal }, 'stopping');
    await running?.close();
    logger.info('stopped');
  },
};
