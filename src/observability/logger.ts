import { pino, type DestinationStream, type Logger } from 'pino';
import pinoPretty from 'pino-pretty';
import type { LogConfig } from '../config/types.js';

/**
 * pino on stdout: JSON lines for collectors, or pino's own pretty printer for a person at a
 * terminal (`log.format`; `auto` decides by whether stdout is one). Secrets are kept out by
 * construction (the codec's describeAttributes redacts them); the redact list is a second
 * net in case a future log call passes a whole object that happens to hold one, and it acts
 * before either format.
 */
export function createLogger(config: LogConfig, destination?: DestinationStream): Logger {
  return pino(
    {
      level: config.level,
      base: { service: 'radgate' },
      redact: {
        paths: ['password', '*.password', 'secret', '*.secret', 'pin', '*.pin', 'token_secret', '*.token_secret'],
        censor: '[redacted]',
      },
    },
    destination ?? (prettyOnStdout(config) ? prettyDestination() : stdoutDestination()),
  );
}

export function prettyOnStdout(config: Pick<LogConfig, 'format'>, stdoutIsTerminal = process.stdout.isTTY === true): boolean {
  return config.format === 'pretty' || (config.format === 'auto' && stdoutIsTerminal);
}

/**
 * Human lines, written synchronously: a person reads them as they come, and a terminal
 * does not see the login rates that made the JSON destination buffer.
 */
function prettyDestination(): DestinationStream {
  return pinoPretty({ destination: 1, sync: true, colorize: process.stdout.isTTY === true, translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l o', ignore: 'pid,hostname,service' });
}

/**
 * stdout, buffered: a write per audit line cost more CPU than the rest of an
 * authentication (a syscall each). Lines are gathered up to 8 KiB or 100 ms, whichever
 * comes first, and whatever is pending is flushed when the process exits.
 */
function stdoutDestination(): DestinationStream {
  const destination = pino.destination({ dest: 1, sync: false, minLength: 8192 });
  const timer = setInterval(() => destination.flush(), 100);
  timer.unref();
  process.once('exit', () => {
    try {
      destination.flushSync();
    } catch {
      // Nothing was pending, or stdout is gone: there is nowhere left to write to.
    }
  });
  return destination;
}
