import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogConfig } from '../config/types.js';

/**
 * pino, JSON lines on stdout. Secrets are kept out by construction (the codec's
 * describeAttributes redacts them); the redact list is a second net in case a future
 * log call passes a whole object that happens to hold one.
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
    destination ?? stdoutDestination(),
  );
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
