/**
 * The errors the configuration loader throws. Codes are stable: scripts and tests match
 * on them, so a code is never renamed or reused for a different problem.
 */

/** Every code a {@link ConfigError} can carry, with what it means for the admin. */
export const CONFIG_ERROR_CODES = {
  RADGATE_CONFIG_UNREADABLE: 'The configuration file itself could not be read (missing, no permission, a directory).',
  RADGATE_CONFIG_SYNTAX: 'The file is not valid YAML: the message gives the line and column.',
  RADGATE_CONFIG_INVALID:
    'The YAML is well-formed but a setting is unknown, of the wrong type, out of range or inconsistent with another.',
  RADGATE_CONFIG_SECRET:
    'A shared secret could not be resolved (unreadable secret_file, unset secret_env) or is too weak.',
} as const;

export type ConfigErrorCode = keyof typeof CONFIG_ERROR_CODES;

/** One problem in the file. A {@link ConfigError} carries every problem found. */
export interface ConfigIssue {
  readonly code: ConfigErrorCode;
  /** Key path as the admin writes it, e.g. "clients[0].address"; "" for the whole file. */
  readonly path: string;
  /** 1-based line in the file, when the problem can be pinned to one. */
  readonly line: number | undefined;
  /** 1-based column, for YAML syntax errors. */
  readonly column?: number | undefined;
  /** The problem alone, without file, line or path. Never contains a secret. */
  readonly problem: string;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code: ConfigErrorCode;
  /** The first issue's key path. */
  readonly path: string;
  /** The first issue's line. */
  readonly line: number | undefined;
  /** Every problem found, in file order; the message has one line per issue. */
  readonly issues: readonly ConfigIssue[];

  constructor(source: string, issues: readonly ConfigIssue[]) {
    const first = issues[0];
    if (first === undefined) throw new RangeError('a ConfigError needs at least one issue');
    super(issues.map((issue) => formatIssue(source, issue)).join('\n'));
    this.code = first.code;
    this.path = first.path;
    this.line = first.line;
    this.issues = Object.freeze(issues.map((issue) => Object.freeze({ ...issue })));
  }
}

/** "radgate.yaml:7: clients[0].address: problem", like a compiler, so editors can jump to it. */
export function formatIssue(source: string, issue: ConfigIssue): string {
  let where = source;
  if (issue.line !== undefined) where += `:${issue.line}`;
  if (issue.line !== undefined && issue.column !== undefined) where += `:${issue.column}`;
  return issue.path === '' ? `${where}: ${issue.problem}` : `${where}: ${issue.path}: ${issue.problem}`;
}
