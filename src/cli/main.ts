#!/usr/bin/env node
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { RadgateError } from '../errors.js';
import { RadiusError } from '../protocol/errors.js';
import { configCommand } from './commands/config-check.js';
import { keysCommand } from './commands/keys-init.js';
import { certsCommand } from './commands/certs.js';
import { auditCommand } from './commands/audit.js';
import { authcodeCommand } from './commands/authcode.js';
import { codeCommand } from './commands/code.js';
import { doctorCommand } from './commands/doctor.js';
import { testCommand } from './commands/test-login.js';
import { tokenCommand } from './commands/token.js';
import { userCommand } from './commands/user.js';
import { operatorCommand } from './commands/operator.js';
import { consoleCommand } from './commands/console.js';
import { selfServiceCommand } from './commands/self-service.js';
import { reloadCommand } from './commands/reload.js';
import { serveCommand } from './commands/serve.js';
import { protectDashes, restoreDashes, showDashes } from './dash-argument.js';
import { ExitCode, exitCodeFor, usageError } from './exit.js';
import { withGlobalOptions } from './global-options.js';
import { stdoutClosed, watchOutputStreams } from './output.js';
import { canonicalUserArgument } from './user-argument.js';

/**
 * The `radgate` command. Each subcommand is its own module under commands/; this file
 * only wires them up and turns failures into a message and an exit code:
 * 0 success, 1 refused (bad config, unknown user, …), 2 wrong usage, 141 when the reader
 * of the output went away (`| head`), as for a tool ended by SIGPIPE.
 */
async function main(argv: string[]): Promise<number> {
  watchOutputStreams();
  const cli = withGlobalOptions(yargs(protectDashes(argv)))
    .scriptName('radgate')
    .usage('$0 <command> [options]\n\nRADIUS authentication gateway: PIN + tokencode, emergency codes, helpdesk authorization codes.')
    .command(serveCommand)
    .command(reloadCommand)
    .command(configCommand)
    .command(keysCommand)
    .command(certsCommand)
    .command(doctorCommand)
    .command(userCommand)
    .command(tokenCommand)
    .command(codeCommand)
    .command(authcodeCommand)
    .command(auditCommand)
    .command(operatorCommand)
    .command(consoleCommand)
    .command(selfServiceCommand)
    .command(testCommand)
    .middleware(restoreDashes, true)
    .middleware(canonicalUserArgument)
    .demandCommand(1, 'name a command; see radgate --help')
    .strict()
    .recommendCommands()
    .completion('completion', 'Print a bash/zsh completion script (radgate completion >> ~/.bashrc)')
    .help()
    .alias('help', 'h')
    .version()
    .wrap(Math.min(100, process.stdout.columns ?? 100))
    // An option given twice takes its last value, as getopt does (not a list of both).
    .parserConfiguration({ 'duplicate-arguments-array': false })
    .fail((message, error) => {
      // yargs calls this for its own validation and parsing (a message, and for some parsing
      // errors a YError too) and for errors thrown by a command (that error); only the
      // first kind is a usage error.
      if (error !== undefined && error !== null && error.name !== 'YError') throw error;
      throw usageError(`${showDashes(message ?? error?.message ?? 'wrong usage')}\nRun radgate --help for usage.`);
    });
  try {
    await cli.parseAsync();
    if (stdoutClosed()) return ExitCode.OutputClosed;
    // A command may finish normally yet report a refusal (doctor's failed check, test's Reject).
    return typeof process.exitCode === 'number' ? process.exitCode : ExitCode.Ok;
  } catch (error) {
    return report(error);
  }
}

/**
 * A failure as the operator reads it: radgate's own errors (and the codec's) by their
 * message, with the exit code their code maps to (docs/ERRORS.md); an address the OS
 * refuses to bind with what to check; anything else, which is a bug, with its stack.
 */
function report(error: unknown): number {
  // The reader of the output went away (`| head`): the operator has what they wanted.
  if (error instanceof RadgateError && error.code === 'RADGATE_CLI_OUTPUT_CLOSED') return exitCodeFor(error.code);
  if (error instanceof RadgateError || error instanceof RadiusError) {
    process.stderr.write(`radgate: ${error.message}\n`);
    return exitCodeFor(error.code);
  }
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
    const { address, port } = error as NodeJS.ErrnoException & { address?: string; port?: number };
    process.stderr.write(`radgate: cannot listen on ${address ?? '?'}:${port ?? '?'}: ${code} (check the listen setting, or whether another RADIUS server runs)\n`);
    return ExitCode.Refused;
  }
  process.stderr.write(`radgate: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return ExitCode.Refused;
}

process.exitCode = await main(hideBin(process.argv));
