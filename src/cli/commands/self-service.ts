import type { CommandModule } from 'yargs';
import { readConfigFile } from '../../config/load.js';
import { createLogger } from '../../observability/logger.js';
import { startSelfService } from '../../serve/self-service-endpoint.js';
import { SERVE_CONNECT_TIMEOUT_MS } from '../../serve/serve.js';
import { runWebListener } from '../../serve/web-listener-command.js';
import { locateConfigFile } from '../config-path.js';
import { refusal } from '../exit.js';
import type { GlobalOptions } from '../global-options.js';

/**
 * `radgate self-service`: the self-service pages on their own, for a host that runs no
 * RADIUS listener (a DMZ behind the reverse proxy users reach), over the same store and key
 * file as the gateways.
 */
export const selfServiceCommand: CommandModule<GlobalOptions, GlobalOptions> = {
  command: 'self-service',
  describe: 'Run the self-service web pages (HTTPS, config section self_service) on their own, in the foreground',
  builder: (yargs) => yargs.example('$0 self-service --config /etc/radgate/radgate.yaml', 'serve the pages on self_service.listen (default 127.0.0.1:8444)'),
  handler: async (argv) => {
    const path = locateConfigFile(argv.config);
    const { config } = readConfigFile(path);
    if (config.selfService?.listen === undefined) throw refusal('the config has no self_service section (or self_service.listen is off): see README "Self-service"');
    const logger = createLogger(config.log);
    await runWebListener(path, logger, 'self-service', () => startSelfService(config, logger, { connectTimeoutMs: SERVE_CONNECT_TIMEOUT_MS }));
  },
};
