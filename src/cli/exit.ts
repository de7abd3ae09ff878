/** Exit codes are a contract with scripts and runbooks. */
export const ExitCode = {
  Ok: 0,
  /** The action was understood and refused (unknown user, invalid config, unreachable store). */
  Refused: 1,
  /** The command line itself is wrong. */
  Usage: 2,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An error whose message is written for the operator, with the exit code to leave with. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: ExitCode = ExitCode.Refused,
  ) {
    super(message);
  }
}
