import { formatInZone } from '../credentials/time-zone.js';
import type { GlobalOptions } from './global-options.js';

/** Prints a result as JSON (`--json`) or as the human lines `render` makes of it. */
export function print<T>(options: Pick<GlobalOptions, 'json'>, result: T, render: (result: T) => string[]): void {
  process.stdout.write(options.json ? `${JSON.stringify(result)}\n` : `${render(result).join('\n')}\n`);
}

/** Left-aligned columns, for lists a person reads. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
}

/**
 * "2026-11-20 15:00 +01:00": dates a person reads at the helpdesk, in its zone (config
 * `time_zone`, SPEC "Time") with the offset, so a date near a daylight saving change or
 * read in another office is never ambiguous. `--json` keeps the UTC ISO strings.
 */
export function humanDate(iso: string | null | undefined, timeZone: string): string {
  if (iso === null || iso === undefined) return '-';
  return formatInZone(Date.parse(iso), timeZone);
}

/** A progress line on a terminal's stderr, rewritten in place; silent when not a terminal. */
export class Progress {
  private readonly enabled = process.stderr.isTTY === true;
  private last = 0;

  update(text: string): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.last < 100) return;
    this.last = now;
    process.stderr.write(`\r\u001b[K${text}`);
  }

  done(): void {
    if (this.enabled) process.stderr.write('\r\u001b[K');
  }
}
