import { spawn, type ChildProcess } from 'node:child_process';
import { REPO_ROOT } from './gateway.js';

export const RADGATE_BIN = `${REPO_ROOT}dist/src/cli/main.js`;

export interface CliResult {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built `radgate` binary as an operator would, and collects what it printed. */
export function runCli(args: string[], options: { env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [RADGATE_BIN, ...args], { env: { ...process.env, ...options.env }, cwd: REPO_ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (exitCode) => resolve({ exitCode, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/** Starts `radgate serve` and resolves once it logs its bound ports. */
export function startServe(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ child: ChildProcess; ports: number[]; output: () => string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [RADGATE_BIN, 'serve', ...args], { env: { ...process.env, ...env }, cwd: REPO_ROOT });
    let output = '';
    const ports: number[] = [];
    const timer = setTimeout(() => {
      // Never leave a half-started gateway (and its workers or Redis) behind a failed test.
      child.kill('SIGTERM');
      reject(new Error(`serve did not start:\n${output}`));
    }, 30_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      for (const line of chunk.toString().split('\n')) {
        if (line.includes('"listening for RADIUS"')) ports.push((JSON.parse(line) as { port: number }).port);
        if (line.includes('"msg":"ready"')) {
          // Workers' own "listening" lines may arrive later (each process buffers its log);
          // the primary's "ready" line carries the bound addresses.
          if (ports.length === 0) ports.push(...(JSON.parse(line) as { listen: { port: number }[] }).listen.map((address) => address.port));
          clearTimeout(timer);
          resolve({ child, ports, output: () => output });
        }
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', () => {
      clearTimeout(timer);
      reject(new Error(`serve exited early:\n${output}`));
    });
  });
}
