import type { Worker } from 'node:cluster';

/**
 * Each worker's word on its store, for the primary's /ready: a worker tells the primary
 * when its connection to Redis comes or goes (an event, not a poll), and the primary is
 * ready while every worker it should have runs and reaches Redis.
 */
export interface HealthMessage {
  readonly type: 'radgate-health';
  readonly healthy: boolean;
}

export function isHealthMessage(message: unknown): message is HealthMessage {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'radgate-health';
}

/** The primary's view: one entry per worker that has started, until it exits. */
export class WorkerHealth {
  private readonly healthy = new Map<number, boolean>();

  constructor(private readonly expected: number) {}

  started(worker: Worker, healthy: boolean): void {
    this.healthy.set(worker.id, healthy);
    worker.on('message', (message: unknown) => {
      if (isHealthMessage(message) && this.healthy.has(worker.id)) this.healthy.set(worker.id, message.healthy);
    });
    worker.once('exit', () => this.healthy.delete(worker.id));
  }

  /** Undefined when every worker runs and reaches Redis, else why not. */
  notReady(): string | undefined {
    const running = this.healthy.size;
    if (running < this.expected) return `${this.expected - running} of ${this.expected} workers not running`;
    const unhealthy = [...this.healthy.values()].filter((healthy) => !healthy).length;
    return unhealthy === 0 ? undefined : `credential store unavailable (${unhealthy} of ${running} workers)`;
  }
}
