import { formatInZone } from '../credentials/time-zone.js';
import { RadgateError } from '../errors.js';
import { ExitCode } from './exit.js';
import type { GlobalOptions } from './global-options.js';

let closed = false;

/** Whether the reader of standard output has gone away (`radgate user list | head -3`). */
export function stdoutClosed(): boolean {
  return closed;
}

/**
 * A closed pipe ends the command quietly, as a tool killed by SIGPIPE ends (the shell shows
 * 141); Node ignores SIGPIPE and reports EPIPE as an error event instead, which unhandled
 * would print a stack trace. Any other output error is left to Node, since it is a bug.
 */
export function watchOutputStreams(): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    closed = true;
    process.exitCode = ExitCode.OutputClosed;
  });
  // Messages to a closed stderr (`2>&1 | head`) are lost either way; they must not crash.
  process.stderr.on('error', () => undefined);
}

/**
 * Writes to standard output and waits until the OS has it: a stream of lines goes no faster
 * than its reader, and stops (RADGATE_CLI_OUTPUT_CLOSED) once the reader has gone.
 */
export async function writeOut(text: string): Promise<void> {
  if (closed) throw outputClosed();
  await new Promise<void>((resolve, reject) => {
    process.stdout.write(text, (error?: NodeJS.ErrnoException | null) => {
      if (error === undefined || error === null) return resolve();
      // The write's callback hears of EPIPE before the stream's error event does.
      if (error.code === 'EPIPE') closed = true;
      reject(closed ? outputClosed() : error);
    });
  });
}

function outputClosed(): RadgateError {
  return new RadgateError('RADGATE_CLI_OUTPUT_CLOSED', 'standard output was closed by its reader');
}

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
