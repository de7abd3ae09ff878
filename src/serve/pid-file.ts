import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import { readPid } from '../embedded-redis/data-dir-claim.js';
import { RadgateError } from '../errors.js';

/**
 * The pid file of a running `radgate serve` (config `pid_file`, config/pid-file.ts), which
 * `radgate reload` signals. Written once the gateway is ready, so a second `serve` that
 * fails to start never replaces the running one's; removed at stop if still ours.
 */
export function writePidFile(path: string | undefined, logger: Logger): void {
  if (path === undefined) return;
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    writeFileSync(path, `${process.pid}\n`, { mode: 0o644 });
  } catch (error) {
    // Not fatal: SIGHUP still reloads (systemctl reload sends it to the known main pid).
    logger.warn({ err: error, pid_file: path }, 'could not write the pid file: radgate reload will not find this gateway (SIGHUP still reloads)');
  }
}

export function removePidFile(path: string | undefined): void {
  if (path !== undefined && readPid(path) === process.pid) rmSync(path, { force: true });
}

/**
 * The pid of the `radgate serve` a pid file names, checked to be one: a pid file left by a
 * crash may name a pid the kernel has since given to an unrelated process, which a
 * SIGHUP could kill.
 */
export function runningGatewayPid(path: string | undefined): number {
  const notRunning = (why: string): RadgateError => new RadgateError('RADGATE_SERVE_NOT_RUNNING', why);
  if (path === undefined) throw notRunning('the configuration names no pid file (with redis.url there is none unless pid_file is set): set pid_file, or send SIGHUP to the gateway (systemctl reload radgate)');
  const pid = readPid(path);
  if (pid === undefined) throw notRunning(`no radgate serve is running: ${path} is missing or holds no pid`);
  let commandLine: string[];
  try {
    commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    throw notRunning(`no radgate serve is running: pid ${pid} (from ${path}) has exited`);
  }
  // `serve` after radgate's own entry point: `hugo serve` or `npx serve` on a reused pid is not ours.
  const entry = commandLine.findIndex((argument) => /(^|\/)(radgate|main\.js)$/.test(argument));
  if (entry === -1 || !commandLine.slice(entry + 1).includes('serve')) throw notRunning(`pid ${pid} (from ${path}) is not a radgate serve (it runs ${commandLine.join(' ').trim()}): a stale pid file`);
  return pid;
}
