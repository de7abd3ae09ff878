import type { CommandModule } from 'yargs';
import { pidFileOfConfigFile } from '../../config/pid-file.js';
import { runningGatewayPid } from '../../serve/pid-file.js';
import { locateConfigFile } from '../config-path.js';
import { refusal } from '../exit.js';
import type { GlobalOptions } from '../global-options.js';
import { print } from '../output.js';

type ReloadArgs = GlobalOptions & { 'pid-file': string | undefined };

/** Where the gateway's pid is: `--pid-file`, else what the config file names (read, not validated). */
function pidFileOf(argv: ReloadArgs): string | undefined {
  if (argv['pid-file'] !== undefined) return argv['pid-file'];
  const path = locateConfigFile(argv.config);
  try {
    return pidFileOfConfigFile(path);
  } catch (error) {
    throw refusal(`cannot find the pid file in ${path}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}; pass --pid-file`);
  }
}

/**
 * `radgate reload`: SIGHUP to the running gateway, found by its pid file. The gateway, not
 * this command, reads and validates the file: it runs with the service's environment
 * (`secret_env`), which an operator's shell may lack. It logs the outcome: "configuration
 * reloaded", or one line naming the file, line and key it refused, and a line for changed
 * settings only a restart applies.
 */
export const reloadCommand: CommandModule<GlobalOptions, ReloadArgs> = {
  command: 'reload',
  describe: 'Tell the running gateway to re-read its configuration (SIGHUP); it logs the outcome',
  builder: (yargs) =>
    yargs
      .option('pid-file', { type: 'string', requiresArg: true, describe: "The gateway's pid file (default: pid_file of the configuration)" })
      .example('$0 reload --config /etc/radgate/radgate.yaml', 'apply edited clients, secrets, policies or reply profiles without a restart') as never,
  handler: (argv) => {
    const pidFile = pidFileOf(argv);
    const pid = runningGatewayPid(pidFile);
    process.kill(pid, 'SIGHUP');
    print(argv, { signalled: pid, pidFile }, (result) => [
      `sent SIGHUP to radgate serve pid ${result.signalled} (from ${result.pidFile}); its log says "configuration reloaded", or why the file was refused`,
    ]);
  },
};
