import { spawn } from 'node:child_process';
import type { SmsCommandConfig } from '../config/sms-config.js';
import { SmsDeliveryError } from './sms-error.js';
import type { SmsProvider } from './sms-provider.js';

/** What the program's environment holds: where to find programs, the locale and the zone, nothing of the gateway's. */
const PROGRAM_ENVIRONMENT: NodeJS.ProcessEnv = Object.freeze({
  PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
  ...(process.env.LANG === undefined ? {} : { LANG: process.env.LANG }),
  ...(process.env.TZ === undefined ? {} : { TZ: process.env.TZ }),
});

/**
 * A local program sends the SMS (a GSM modem's tool, a site's own script): started with the
 * configured path and fixed arguments, it reads the number on the first line of standard
 * input and the message after it, to the end of the input (a template may hold line breaks).
 * Never in its arguments or environment, which any local user can read in
 * /proc/PID/cmdline and (as the same user) /proc/PID/environ.
 * Exit 0 means sent. Past the timeout its whole process group is killed (it runs in a
 * group of its own), so a tool that forked a helper cannot leave it hanging.
 */
export class CommandProvider implements SmsProvider {
  readonly kind = 'command';

  constructor(private readonly config: SmsCommandConfig) {}

  deliver(number: string, text: string): Promise<void> {
    const { path, args, timeoutMs } = this.config;
    return new Promise((resolve, reject) => {
      // Its output may echo the number or the message: it is not read, so never logged.
      // A minimal environment: the gateway's may hold RADIUS secrets (`secret_env`), a Redis
      // URL with its password, RADGATE_* settings; none of them is the program's business.
      const child = spawn(path, args, { stdio: ['pipe', 'ignore', 'ignore'], detached: true, env: PROGRAM_ENVIRONMENT });
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          child.kill('SIGKILL');
        }
      }, timeoutMs);
      child.on('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new SmsDeliveryError('command', `could not start ${path} (${error.code ?? 'error'})`));
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        if (timedOut) reject(new SmsDeliveryError('command', `${path} did not finish within ${timeoutMs} ms and was killed`));
        else if (code === 0) resolve();
        else reject(new SmsDeliveryError('command', code === null ? `${path} ended by ${signal ?? 'a signal'}` : `${path} exited with ${code}`));
      });
      // A program that exits without reading its input closes the pipe: that is its exit code's business.
      child.stdin.on('error', () => undefined);
      child.stdin.end(`${number}\n${text}\n`);
    });
  }
}
