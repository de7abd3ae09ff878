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
    destination,
  );
}
