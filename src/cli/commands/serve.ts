import cluster from 'node:cluster';
import type { Logger } from 'pino';
import type { CommandModule } from 'yargs';
import { readConfigFile } from '../../config/load.js';
import type { RadgateConfig } from '../../config/types.js';
import { createLogger } from '../../observability/logger.js';
import type { ListeningAddress } from '../../serve/cluster.js';
import { serve } from '../../serve/serve.js';
import { configFromPrimary } from '../../serve/worker-config.js';
import { locateConfigFile } from '../config-path.js';
import { prepareDemo } from '../demo.js';
import { usageError } from '../exit.js';
import type { GlobalOptions } from '../global-options.js';

type ServeArgs = GlobalOptions & { demo: boolean };

/** The quick start's demo: refused anywhere but on loopback, since it creates a user with a known PIN. */
async function demo(config: RadgateConfig, logger: Logger, addresses: readonly ListeningAddress[]): Promise<void> {
  if (!config.listen.every(({ host }) => host === '::1' || host.startsWith('127.'))) {
    throw usageError('--demo is for the loopback quick start only: every listen address must be 127.0.0.1 or ::1');
  }
  const ipv4 = addresses.find((address) => address.family === 'IPv4');
  const client = config.clients.find((candidate) => candidate.address.startsWith('127.'));
  if (ipv4 === undefined || client === undefined) throw usageError('--demo needs a 127.0.0.1 listener and client (see config/quickstart.yaml)');
  // Only a secret already written in the config file is repeated on the terminal.
  const secret = client.secretSource === 'inline' ? client.secret.toString() : 'SECRET';
  process.stderr.write(await prepareDemo(config, logger, secret, ipv4.port));
}

export const serveCommand: CommandModule<GlobalOptions, ServeArgs> = {
  command: 'serve',
  describe: 'Run the RADIUS gateway in the foreground (stops cleanly on SIGTERM or SIGINT)',
  builder: (yargs) =>
    yargs
      .option('demo', {
        type: 'boolean',
        default: false,
        describe: 'Quick start only: create a demo user, issue it a passcode and print a radtest line',
      })
      .example('$0 serve --config /etc/radgate/radgate.yaml', 'start the gateway') as never,
  handler: async (argv) => {
    // A worker runs the configuration the primary has in force, not the file as it is now
    // (serve/worker-config.ts).
    const read = cluster.isWorker ? await configFromPrimary() : readConfigFile(locateConfigFile(argv.config));
    const { config } = read;
    const logger = createLogger(config.log);
    await serve(read, logger, argv.demo ? { onListening: (addresses) => demo(config, logger, addresses) } : {});
  },
};
