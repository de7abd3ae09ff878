import { ClientTable } from './clients.js';
import { ReplySizeCheck } from './reply-size.js';
import type { RequestHandler, TransportConfig } from './request-handler.js';

/** One configuration with what the server derives from it for each request. */
export interface Served<Config extends TransportConfig> {
  readonly config: Config;
  readonly clients: ClientTable;
  readonly replySize: ReplySizeCheck;
}

/**
 * The configuration in force, with its client table and reply-size bound, rebuilt on the
 * first request after a reload replaced it (config/live-config.ts). The server reads it
 * once per request, on arrival, and hands that object down the request's whole path: the
 * secret that checked a request also signs its reply, whatever reload comes meanwhile.
 */
export class ServedConfigs<Config extends TransportConfig> {
  private served: Served<Config> | undefined;

  constructor(
    private readonly source: { readonly current: Config },
    private readonly handler: Pick<RequestHandler<Config>, 'possibleReplies'>,
  ) {
    this.now();
  }

  now(): Served<Config> {
    const config = this.source.current;
    if (this.served?.config !== config) {
      this.served = {
        config,
        clients: new ClientTable(config.clients),
        replySize: new ReplySizeCheck(config.dictionary, this.handler.possibleReplies(config)),
      };
    }
    return this.served;
  }
}
