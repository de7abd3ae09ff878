import { spawn } from 'node:child_process';
import { guardChild } from '../../src/child-guard.js';
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
