import type { CommandModule } from 'yargs';
import { loadCliConfig } from '../context.js';
import type { GlobalOptions } from '../global-options.js';
import { print } from '../output.js';

/** `radgate config check`: everything `serve` validates at start, without binding a port. */
export const configCheckCommand: CommandModule<GlobalOptions, GlobalOptions> = {
  command: 'check',
  describe: 'Validate the configuration file and the dictionaries it names',
  builder: (yargs) => yargs.example('$0 config check --config /etc/radgate/radgate.yaml', 'check a config before restarting the service'),
  handler: (argv) => {
    const config = loadCliConfig(argv);
    const { dictionary } = config;
    print(argv, {
      config: config.source,
      listen: config.listen.map(({ host, port, family }) => (family === 6 ? `[${host}]:${port}` : `${host}:${port}`)),
      clients: config.clients.map((client) => ({ name: client.name, address: client.address, secret: client.secretSource })),
      dictionary: { directory: config.dictionaryDir, attributes: dictionary.attributeCount, vendors: dictionary.vendorCount },
    }, (summary) => [
      `${summary.config}: OK`,
      `  listen:     ${summary.listen.join(', ')}`,
      `  clients:    ${summary.clients.map((client) => `${client.name} (${client.address}, secret from ${client.secret})`).join('; ')}`,
      `  dictionary: ${summary.dictionary.attributes} attributes, ${summary.dictionary.vendors} vendors from ${summary.dictionary.directory}`,
    ]);
  },
};

export const configCommand: CommandModule<GlobalOptions, GlobalOptions> = {
  command: 'config <action>',
  describe: 'Work with the configuration file',
  builder: (yargs) => yargs.command(configCheckCommand).demandCommand(1, 'name an action: check'),
  handler: () => undefined,
};
