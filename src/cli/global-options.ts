import type { Argv } from 'yargs';

/** Options every command accepts. */
export interface GlobalOptions {
  readonly config: string | undefined;
  readonly json: boolean;
}

export function withGlobalOptions(yargs: Argv): Argv<GlobalOptions> {
  return yargs
    .option('config', {
      type: 'string',
      describe: 'Configuration file (default: $RADGATE_CONFIG, ./radgate.yaml, /etc/radgate/radgate.yaml)',
      requiresArg: true,
    })
    .option('json', { type: 'boolean', default: false, describe: 'Print machine-readable JSON' }) as Argv<GlobalOptions>;
}
