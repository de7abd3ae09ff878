import type { CommandModule } from 'yargs';
import { loadConfigFile } from '../../config/load.js';
import { startGateway } from '../../gateway.js';
import { createLogger } from '../../observability/logger.js';
import { locateConfigFile } from '../config-path.js';
import type { GlobalOptions } from '../global-options.js';
import { prepareDemo } from '../demo.js';
import { CliError, ExitCode } from '../exit.js';

export const serveCommand: CommandModule<GlobalOptions, GlobalOptions> = {
  command: 'serve',
  describe: 'Run the RADIUS gateway in the foreground (stops cleanly on SIGTERM or SIGINT)',
  builder: (yargs) =>
    yargs
      .option('demo', {
        type: 'boolean',
        default: false,
        describe: 'Quick start only: create a demo user, issue it a passcode and print a radtest line',
      })
      .example('$0 serve --config /etc/radgate/radgate.yaml', 'start the gateway'),
  handler: async (argv) => {
    const config = loadConfigFile(locateConfigFile(argv.config));
    const logger = createLogger(config.log);
    const gateway = await startGateway(config, logger);
    if ((argv as { demo?: boolean }).demo === true) {
      // The demo creates a user with a known PIN: refuse it anywhere but on loopback.
      if (!config.listen.every(({ host }) => host === '::1' || host.startsWith('127.'))) {
        await gateway.stop();
        throw new CliError('--demo is for the loopback quick start only: every listen address must be 127.0.0.1 or ::1', ExitCode.Usage);
      }
      const ipv4 = gateway.server.addresses().find((address) => address.family === 'IPv4');
      const client = config.clients.find((candidate) => candidate.address.startsWith('127.'));
      if (ipv4 === undefined || client === undefined) {
        await gateway.stop();
        throw new CliError('--demo needs a 127.0.0.1 listener and client (see config/quickstart.yaml)', ExitCode.Usage);
      }
      // Only a secret already written in the config file is repeated on the terminal.
      const secret = client.secretSource === 'inline' ? client.secret.toString() : 'SECRET';
      process.stderr.write(await prepareDemo(gateway.credentials, secret, ipv4.port));
    }
    logger.info({ listen: gateway.server.addresses() }, 'ready');
    await new Promise<void>((resolve) => {
      const shutdown = (signal: NodeJS.Signals) => {
        logger.info({ signal }, 'stopping: finishing requests in progress');
        void gateway.stop().then(() => {
          logger.info('stopped');
          resolve();
        });
      };
      process.once('SIGTERM', shutdown);
      process.once('SIGINT', shutdown);
    });
  },
};
