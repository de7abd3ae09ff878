import type { Argv } from 'yargs';

/** Options every command accepts. */
export interface GlobalOptions {
  readonly config: string | undefined;
  readonly json: boolean;
  /** Recorded with every admin action in the audit log. */
  readonly reason: string | undefined;
  /** Who acts; defaults to the OS user running the command. */
  readonly operator: string | undefined;
}

export function withGlobalOptions(yargs: Argv): Argv<GlobalOptions> {
  return yargs
    .option('config', {
      type: 'string',
      describe: 'Configuration file (default: $RADGATE_CONFIG, ./radgate.yaml, /etc/radgate/radgate.yaml)',
      requiresArg: true,
      global: true,
    })
    .option('json', { type: 'boolean', default: false, describe: 'Print machine-readable JSON', global: true })
    .option('reason', { type: 'string', requiresArg: true, describe: 'Why (a ticket number): recorded in the audit log', global: true })
    .option('operator', { type: 'string', requiresArg: true, describe: 'Who acts (default: your OS user name): recorded in the audit log', global: true })
    .group(['config', 'json', 'reason', 'operator', 'help'], 'Global options:') as Argv<GlobalOptions>;
}
