/**
 * The errors the configuration loader throws. Codes are stable: scripts and tests match
 * on them, so a code is never renamed or reused for a different problem.
 */
import { RadgateError, type RadgateErrorCode } from '../errors.js';

/** The codes a {@link ConfigIssue} can carry (documented in docs/ERRORS.md with the others). */
export type ConfigErrorCode = Extract<RadgateErrorCode, 'RADGATE_CONFIG_UNREADABLE' | 'RADGATE_CONFIG_SYNTAX' | 'RADGATE_CONFIG_INVALID' | 'RADGATE_CONFIG_SECRET'>;

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

export class ConfigError extends RadgateError {
  override readonly name = 'ConfigError';
  declare readonly code: ConfigErrorCode;
  /** The first issue's key path. */
  readonly path: string;
  /** The first issue's line. */
  readonly line: number | undefined;
  /** Every problem found, in file order; the message has one line per issue. */
  readonly issues: readonly ConfigIssue[];

  constructor(source: string, issues: readonly ConfigIssue[]) {
    const first = issues[0];
    if (first === undefined) throw new RangeError('a ConfigError needs at least one issue');
    super(first.code, issues.map((issue) => formatIssue(source, issue)).join('\n'));
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
