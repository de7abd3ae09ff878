import type { CommandModule } from 'yargs';
import { readConfigFile } from '../../config/load.js';
import { createLogger } from '../../observability/logger.js';
import { startConsole } from '../../serve/console-endpoint.js';
import { SERVE_CONNECT_TIMEOUT_MS } from '../../serve/serve.js';
import { runWebListener } from '../../serve/web-listener-command.js';
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
    const path = locateConfigFile(argv.config);
    const { config } = readConfigFile(path);
    if (config.console?.listen === undefined) throw refusal('the config has no console section (or console.listen is off): see README "Helpdesk console"');
    const logger = createLogger(config.log);
    await runWebListener(path, logger, 'console', () => startConsole(config, logger, { connectTimeoutMs: SERVE_CONNECT_TIMEOUT_MS }));
  },
};
