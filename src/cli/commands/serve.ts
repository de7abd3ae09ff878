import cluster from 'node:cluster';
import type { Logger } from 'pino';
import type { CommandModule } from 'yargs';
import type { RadgateConfig } from '../../config/types.js';
import { openCredentials, startGateway, type Credentials } from '../../gateway.js';
import { createKeyFileIfMissing, loadKeyring } from '../../keys/load-keyring.js';
import { createLogger } from '../../observability/logger.js';
import { loadDictionary } from '../../protocol/dictionary/load.js';
import { runWorker, startWorkers } from '../../serve/cluster.js';
import { shutdownSignal } from '../../serve/signals.js';
import { loadCliConfig } from '../context.js';
import { prepareDemo } from '../demo.js';
import { CliError, ExitCode } from '../exit.js';
import type { GlobalOptions } from '../global-options.js';

type ServeArgs = GlobalOptions & { demo: boolean };
type Listening = { address: string; port: number; family: string }[];

/** The quick start's demo: refused anywhere but on loopback, since it creates a user with a known PIN. */
async function demo(config: RadgateConfig, credentials: Credentials, addresses: Listening): Promise<void> {
  if (!config.listen.every(({ host }) => host === '::1' || host.startsWith('127.'))) {
    throw new CliError('--demo is for the loopback quick start only: every listen address must be 127.0.0.1 or ::1', ExitCode.Usage);
  }
  const ipv4 = addresses.find((address) => address.family === 'IPv4');
  const client = config.clients.find((candidate) => candidate.address.startsWith('127.'));
  if (ipv4 === undefined || client === undefined) throw new CliError('--demo needs a 127.0.0.1 listener and client (see config/quickstart.yaml)', ExitCode.Usage);
  // Only a secret already written in the config file is repeated on the terminal.
  const secret = client.secretSource === 'inline' ? client.secret.toString() : 'SECRET';
  process.stderr.write(await prepareDemo(credentials, secret, ipv4.port));
}

async function serveInOneProcess(config: RadgateConfig, logger: Logger, withDemo: boolean): Promise<void> {
  const gateway = await startGateway(config, logger);
  try {
    if (withDemo) await demo(config, gateway.credentials, gateway.server.addresses());
  } catch (error) {
    await gateway.stop();
    throw error;
  }
  logger.info({ listen: gateway.server.addresses(), workers: 1 }, 'ready');
  const signal = await shutdownSignal();
  logger.info({ signal }, 'stopping: finishing requests in progress');
  await gateway.stop();
  logger.info('stopped');
}

/**
 * The primary of a multi-worker gateway. It owns what must exist once: the embedded
 * redis-server (when no redis.url is set) and the demo user; the workers serve RADIUS.
 */
async function serveWithWorkers(config: RadgateConfig, logger: Logger, withDemo: boolean): Promise<void> {
  // Fail once, here, with a clear message, rather than once per worker.
  loadKeyring(config.keys, logger);
  loadDictionary(config.dictionaryDir);
  const credentials = config.redis.url === undefined || withDemo ? await openCredentials(config, logger) : undefined;
  let workers;
  try {
    workers = await startWorkers(config.workers, logger);
    if (withDemo) await demo(config, credentials!, workers.addresses);
  } catch (error) {
    await workers?.stop();
    await credentials?.close();
    throw error;
  }
  logger.info({ listen: workers.addresses, workers: config.workers }, 'ready');
  const signal = await shutdownSignal();
  logger.info({ signal }, 'stopping: finishing requests in progress');
  await workers.stop();
  await credentials?.close();
  logger.info('stopped');
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
    const config = loadCliConfig(argv);
    const logger = createLogger(config.log);
    if (cluster.isWorker) return runWorker(config, logger);
    createKeyFileIfMissing(config.keys, logger);
    if (config.workers <= 1) return serveInOneProcess(config, logger, argv.demo);
    return serveWithWorkers(config, logger, argv.demo);
  },
};
