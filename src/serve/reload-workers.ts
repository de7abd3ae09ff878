import type { Worker } from 'node:cluster';
import type { Logger } from 'pino';
import type { LiveConfig } from '../config/live-config.js';
import type { RadgateConfig } from '../config/types.js';
import { parseConfigText, type ReadConfig } from './reload.js';

/**
 * A reload across worker processes, in two phases so that a file that some worker cannot
 * use changes nothing anywhere: the primary, which validated the file, sends its text; each
 * worker parses it (a configuration holds Buffers and a dictionary, which do not cross
 * IPC) and answers; only when all have, the primary tells them to put it in force, and
 * waits until each has.
 */

type ReloadMessage =
  | { readonly type: 'radgate-reload-prepare'; readonly id: number; readonly source: string; readonly text: string }
  | { readonly type: 'radgate-reload-commit' | 'radgate-reload-abort'; readonly id: number };

interface ReloadAnswer {
  readonly type: 'radgate-reload-prepared' | 'radgate-reload-committed';
  readonly id: number;
  /** Why the worker could not use the text (it read a secret or dictionary file again). */
  readonly problem?: string;
}

/** Longest a worker may take to parse the file (dictionaries included) and answer. */
const ANSWER_TIMEOUT_MS = 30_000;

let nextId = 1;

function isAnswer(message: unknown, type: ReloadAnswer['type'], id: number): message is ReloadAnswer {
  const answer = message as Partial<ReloadAnswer> | null;
  return typeof answer === 'object' && answer !== null && answer.type === type && answer.id === id;
}

/** Sends a message to each worker and resolves with each one's answer, or why there is none. */
function ask(workers: readonly Worker[], message: ReloadMessage, answerType: ReloadAnswer['type']): Promise<(string | undefined)[]> {
  return Promise.all(
    workers.map(
      (worker) =>
        new Promise<string | undefined>((resolve) => {
          const done = (problem: string | undefined): void => {
            clearTimeout(timer);
            worker.off('message', onMessage);
            worker.off('exit', onExit);
            resolve(problem);
          };
          const onMessage = (answer: unknown): void => {
            if (isAnswer(answer, answerType, message.id)) done(answer.problem === undefined ? undefined : `worker ${worker.id}: ${answer.problem}`);
          };
          const onExit = (): void => done(`worker ${worker.id} exited`);
          const timer = setTimeout(() => done(`worker ${worker.id} did not answer within ${ANSWER_TIMEOUT_MS} ms`), ANSWER_TIMEOUT_MS);
          // A worker that has let go of its channel (stopping, dying) cannot take part:
          // sending to it would raise an error event on the Worker, which nothing handles.
          if (!worker.isConnected()) return resolve(`worker ${worker.id} is not connected`);
          worker.on('message', onMessage);
          worker.once('exit', onExit);
          worker.send(message, (error: Error | null) => {
            if (error !== null) done(`worker ${worker.id}: ${error.message}`);
          });
        }),
    ),
  );
}

/** The primary's side: resolves with undefined once every worker runs the new configuration, or with why none does. */
export async function reloadWorkers(workers: readonly Worker[], read: ReadConfig, logger: Logger): Promise<string | undefined> {
  const id = nextId++;
  const prepared = await ask(workers, { type: 'radgate-reload-prepare', id, source: read.config.source, text: read.text }, 'radgate-reload-prepared');
  const problems = prepared.filter((problem): problem is string => problem !== undefined);
  if (problems.length > 0) {
    for (const worker of workers) if (worker.isConnected()) worker.send({ type: 'radgate-reload-abort', id } satisfies ReloadMessage, () => undefined);
    return problems.join('; ');
  }
  // Past this point the configuration is the gateway's: a worker that dies now is replaced
  // and its replacement is given this one (cluster.ts); one that did not confirm is named.
  const unconfirmed = (await ask(workers, { type: 'radgate-reload-commit', id }, 'radgate-reload-committed')).filter((problem) => problem !== undefined);
  if (unconfirmed.length > 0) logger.warn({ event: 'reload', unconfirmed }, `configuration reload committed, but not confirmed by every worker: ${unconfirmed.join('; ')}`);
  return undefined;
}

/** A worker's side: parses what the primary sends and puts it in force when told to. */
export function acceptReloads(live: LiveConfig<RadgateConfig>, rootLogger: Logger): void {
  const pending = new Map<number, RadgateConfig>();
  const answer = (message: ReloadAnswer): void => void process.send?.(message);
  process.on('message', (raw: unknown) => {
    const message = raw as ReloadMessage | null;
    if (typeof message !== 'object' || message === null) return;
    if (message.type === 'radgate-reload-prepare') {
      try {
        pending.set(message.id, parseConfigText(message.source, message.text));
        answer({ type: 'radgate-reload-prepared', id: message.id });
      } catch (error) {
        answer({ type: 'radgate-reload-prepared', id: message.id, problem: error instanceof Error ? error.message : String(error) });
      }
    } else if (message.type === 'radgate-reload-commit') {
      const next = pending.get(message.id);
      pending.delete(message.id);
      if (next !== undefined) {
        live.replace(next);
        rootLogger.level = next.log.level;
      }
      answer({ type: 'radgate-reload-committed', id: message.id });
    } else if (message.type === 'radgate-reload-abort') {
      pending.delete(message.id);
    }
  });
}
