import type { Logger } from 'pino';
import type { RadgateConfig } from './config/types.js';
import { loadDictionary } from './protocol/dictionary/load.js';
import type { Dictionary } from './protocol/dictionary/dictionary.js';
import type { RequestHandler } from './transport/handler.js';
import { RadiusServer } from './transport/server.js';

/**
 * The composition root: config in, a running gateway out. `radgate serve`, the
 * benchmark and end-to-end tests all start radgate through here, so they run the same
 * assembly.
 */
export interface Gateway {
  readonly server: RadiusServer;
  readonly dictionary: Dictionary;
  stop(): Promise<void>;
}

export async function startGateway(config: RadgateConfig, handler: RequestHandler, logger: Logger): Promise<Gateway> {
  const dictionary = loadDictionary(config.dictionaryDir);
  logger.info({ attributes: dictionary.attributeCount, vendors: dictionary.vendorCount, directory: config.dictionaryDir }, 'dictionaries loaded');
  const server = new RadiusServer({ config, dictionary, handler, logger });
  await server.start();
  return {
    server,
    dictionary,
    stop: () => server.stop(),
  };
}
