import { spawn } from 'node:child_process';
import { guardChild } from '../src/child-guard.js';
import { RADGATE_BIN, REPO_ROOT } from './paths.js';

export interface CliResult {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built `radgate` command as an operator would, and collects what it printed. */
export function runCli(args: string[], options: { env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [RADGATE_BIN, ...args], { env: { ...process.env, ...options.env }, cwd: REPO_ROOT });
    guardChild(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (exitCode) => resolve({ exitCode, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/** What a test checks of a usage error (README "CLI": exit 2): the message, no stack trace, no output. */
export function assertUsageError(t: { is(actual: unknown, expected: unknown, message?: string): void; regex(text: string, pattern: RegExp): void; false(value: boolean, message?: string): void }, result: CliResult, message: RegExp): void {
  t.is(result.exitCode, 2, result.stderr);
  t.regex(result.stderr, message);
  t.false(/\n\s+at /.test(result.stderr), 'a message, not a stack trace');
  t.is(result.stdout, '');
}
