import type { GlobalOptions } from './global-options.js';

/** Prints a result as JSON (`--json`) or as the human lines `render` makes of it. */
export function print<T>(options: Pick<GlobalOptions, 'json'>, result: T, render: (result: T) => string[]): void {
  process.stdout.write(options.json ? `${JSON.stringify(result)}\n` : `${render(result).join('\n')}\n`);
}
