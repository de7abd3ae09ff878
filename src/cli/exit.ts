import { RadgateError, type RadgateErrorCode } from '../errors.js';

/** Exit codes are a contract with scripts and runbooks. */
export const ExitCode = {
  Ok: 0,
  /** The action was understood and refused (unknown user, invalid config, unreachable store). */
  Refused: 1,
  /** The command line itself is wrong. */
  Usage: 2,
  /**
   * The reader of the output went away (`radgate user list | head -3`): 128 + SIGPIPE, the
   * status a shell shows for a tool that SIGPIPE ended, as coreutils tools are ended.
   */
  OutputClosed: 128 + 13,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** The codes that mean "the command line is wrong"; every other radgate error is a refusal. */
const USAGE_CODES: ReadonlySet<RadgateErrorCode> = new Set(['RADGATE_CLI_USAGE', 'RADGATE_CLI_NO_CONFIG']);

/** The exit code for an error with this code (docs/ERRORS.md). */
export function exitCodeFor(code: string): ExitCode {
  if (code === 'RADGATE_CLI_OUTPUT_CLOSED') return ExitCode.OutputClosed;
  return USAGE_CODES.has(code as RadgateErrorCode) ? ExitCode.Usage : ExitCode.Refused;
}

/** A command-line problem found by the CLI itself, with a message written for the operator. */
export function usageError(message: string): RadgateError {
  return new RadgateError('RADGATE_CLI_USAGE', message);
}

/** A request the CLI understood and refuses (the operator did not confirm, a value the gateway would not accept). */
export function refusal(message: string): RadgateError {
  return new RadgateError('RADGATE_CLI_REFUSED', message);
}
