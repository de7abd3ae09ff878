import type { CommandModule } from 'yargs';
import { createKeyFile } from '../../keys/key-file.js';
import { loadCliConfig } from '../context.js';
import { usageError } from '../exit.js';
import type { GlobalOptions } from '../global-options.js';
import { print } from '../output.js';

interface KeysInitOptions extends GlobalOptions {
  readonly force: boolean;
  readonly file: string | undefined;
}

/** Where the key goes: --file, then RADGATE_KEY_FILE, then keys.file from the config. */
function keyFilePath(argv: KeysInitOptions): string {
  if (argv.file === '') throw usageError('--file must name a file');
  if (argv.file !== undefined) return argv.file;
  const fromEnv = process.env.RADGATE_KEY_FILE;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  return loadCliConfig(argv).keys.file;
}

const keysInitCommand: CommandModule<GlobalOptions, KeysInitOptions> = {
  command: 'init',
  describe: 'Create the master key file: 32 random bytes, mode 0600',
  builder: (yargs) =>
    yargs
      .option('force', { type: 'boolean', default: false, describe: 'Replace an existing key (every stored PIN, code and token becomes unusable)' })
      .option('file', { type: 'string', requiresArg: true, describe: 'Where to write it (default: keys.file from the config, or $RADGATE_KEY_FILE)' })
      .example('$0 keys init --config /etc/radgate/radgate.yaml', 'create the key named by keys.file') as never,
  handler: (argv) => {
    const path = keyFilePath(argv);
    createKeyFile(path, { force: argv.force });
    print(argv, { file: path, bytes: 32, mode: '0600' }, (result) => [
      `wrote a new master key to ${result.file} (mode 0600)`,
      'Back it up apart from Redis: without it no PIN, code or token in Redis can be checked.',
    ]);
  },
};

export const keysCommand: CommandModule<GlobalOptions, GlobalOptions> = {
  command: 'keys <action>',
  describe: 'Manage the master key',
  builder: (yargs) => yargs.command(keysInitCommand).demandCommand(1, 'name an action: init'),
  handler: () => undefined,
};
