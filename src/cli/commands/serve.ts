import type { CommandModule } from 'yargs';
import { loadConfigFile } from '../../config/load.js';
import { startGateway } from '../../gateway.js';
import { createLogger } from '../../observability/logger.js';
import type { AccessRequest, Decision, RequestHandler } from '../../transport/handler.js';
import { locateConfigFile } from '../config-path.js';
import type { GlobalOptions } from '../global-options.js';

/**
 * Until the credential store is configured (it arrives with the Redis-backed credential
 * service), the gateway answers Status-Server and rejects every Access-Request after the
 * usual reject delay: it never accepts what it cannot check.
 */
class NoCredentialStoreHandler implements RequestHandler {
  handleAccessRequest(_request: AccessRequest): Decision {
    return { action: 'reject', delayMs: 1000 };
  }
  isHealthy(): boolean {
    return true;
  }
}

export const serveCommand: CommandModule<GlobalOptions, GlobalOptions> = {
  command: 'serve',
  describe: 'Run the RADIUS gateway in the foreground (stops cleanly on SIGTERM or SIGINT)',
  builder: (yargs) => yargs.example('$0 serve --config /etc/radgate/radgate.yaml', 'start the gateway'),
  handler: async (argv) => {
    const config = loadConfigFile(locateConfigFile(argv.config));
    const logger = createLogger(config.log);
    const gateway = await startGateway(config, new NoCredentialStoreHandler(), logger);
    logger.warn('no credential store is configured yet: every Access-Request is rejected');
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
