import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';

/** Collects every log line as text, so tests can search what an operator would see. */
export function capturingLogger(level = 'debug'): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter((line) => line !== ''));
      done();
    },
  });
  return { logger: pino({ level }, sink), lines };
}
