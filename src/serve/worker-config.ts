import type { Worker } from 'node:cluster';
import { parseConfigText, type ReadConfig } from './reload.js';

/**
 * How a worker gets its configuration: from the primary, never from the file. The file on
 * disk may have been edited since the gateway started, or refused by a reload; a worker
 * that read it (a replacement after a crash, one forked during a reload) would serve other
 * secrets, or another Redis, than its siblings. The primary answers with the text in force
 * (the one it started with, or the last reload every worker took), which the worker parses
 * as a reload would: a configuration holds Buffers and a dictionary, which do not cross IPC.
 */

interface ConfigRequest {
  readonly type: 'radgate-config-request';
}

interface ConfigMessage {
  readonly type: 'radgate-config';
  readonly source: string;
  readonly text: string;
}

function isMessage<T extends { type: string }>(message: unknown, type: T['type']): message is T {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === type;
}

/** The worker's side: asks the primary and parses what it is given. */
export function configFromPrimary(): Promise<ReadConfig> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: unknown): void => {
      if (!isMessage<ConfigMessage>(message, 'radgate-config')) return;
      process.off('message', onMessage);
      try {
        resolve({ config: parseConfigText(message.source, message.text), text: message.text });
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    };
    process.on('message', onMessage);
    process.send?.({ type: 'radgate-config-request' } satisfies ConfigRequest);
  });
}

/**
 * The primary's side: answers `worker`'s request with the configuration `current()` gives
 * at that moment, and tells `given` which one that was.
 */
export function answerConfigRequests(worker: Worker, current: () => ReadConfig, given: (read: ReadConfig) => void): void {
  worker.on('message', (message: unknown) => {
    if (!isMessage<ConfigRequest>(message, 'radgate-config-request')) return;
    const read = current();
    given(read);
    worker.send({ type: 'radgate-config', source: read.config.source, text: read.text } satisfies ConfigMessage, () => undefined);
  });
}
