/**
 * `-` as an argument ("read it from standard input") survives yargs.
 *
 * yargs hands each positional argument to its parser a second time as `--name value`; a
 * value of `-` then looks like the start of an option, is left out, and the positional
 * becomes "" (a known, open yargs bug). So before parsing, every `-` is swapped for a mark
 * no real argument can be (an argument never holds a NUL byte), and once yargs has placed
 * the arguments, the mark is turned back into `-` wherever it landed.
 */
const DASH_MARK = '\u0000-';

/** The command line with every `-` replaced by the mark. */
export function protectDashes(args: readonly string[]): string[] {
  return args.map((arg) => (arg === '-' ? DASH_MARK : arg));
}

/** yargs middleware: every value that is the mark becomes `-` again, in options, positionals and `_`. */
export function restoreDashes(argv: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(argv)) {
    if (value === DASH_MARK) argv[key] = '-';
    else if (Array.isArray(value)) argv[key] = value.map((item: unknown) => (item === DASH_MARK ? '-' : item));
  }
}

/** A yargs message that quotes an argument ("Unknown argument: -") shows `-`, not the mark. */
export function showDashes(message: string): string {
  return message.replaceAll(DASH_MARK, '-');
}
