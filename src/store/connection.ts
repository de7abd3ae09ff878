import type { Cluster, Redis } from 'ioredis';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { storeCommand, type StoreCommandEvent } from '../observability/events.js';
import { StoreUnavailableError } from './errors.js';

export interface ConnectionOptions {
  /** The client's command timeout: past it a command counts as failed and Redis as stalled. */
  readonly commandTimeoutMs: number;
  /**
   * Replicas that must acknowledge a decision (WAIT) before it is answered: with Sentinel,
   * a failover then cannot lose a consume that was answered. 0: do not wait.
   */
  readonly waitReplicas: number;
  /** How often health is probed (PING) while connected. */
  readonly probeIntervalMs: number;
}

/**
 * The one connection to Redis and what is known about its health: connected or not,
 * answering or stalled. Status-Server and `/ready` read it; every command goes through
 * `command` (the login path: a failure marks the store unavailable) or `background`
 * (copies and stand-ins: a failure is the caller's own). It logs one line per change of
 * state, never one per failed packet.
 */
export class StoreConnection {
  private healthy: boolean;
  /** A command timed out: fail fast, sending nothing, until a probe gets an answer. */
  private stalled = false;
  private closing = false;
  private probing = false;
  private probe: NodeJS.Timeout | undefined;
  private readonly probeAnsweredListeners: (() => void)[] = [];
  private readonly healthListeners: ((healthy: boolean) => void)[] = [];
  /** The socket to a single Redis, corked while a batch of requests is handed over. */
  private heldStream: { cork(): void; uncork(): void } | undefined;

  constructor(
    readonly redis: Redis | Cluster,
    private readonly logger: Logger,
    private readonly options: ConnectionOptions,
  ) {
    redis.on('ready', () => this.setHealthy(true, 'connected'));
    redis.on('close', () => this.setHealthy(false, 'connection closed'));
    redis.on('error', () => this.setHealthy(false, 'connection error'));
    this.healthy = redis.status === 'ready';
    this.probe = setInterval(() => void this.checkHealth(), options.probeIntervalMs);
    this.probe.unref();
  }

  get isCluster(): boolean {
    return (this.redis as Cluster).isCluster === true;
  }

  get commandTimeoutMs(): number {
    return this.options.commandTimeoutMs;
  }

  isHealthy(): boolean {
    return this.healthy;
  }

  /** Called after every (re)connection: a new connection may be to a Redis that lost its data. */
  onReady(listener: () => void): void {
    this.redis.on('ready', listener);
  }

  /** Called on every change of health (what `/ready` reports), after the log line. */
  onHealthChange(listener: (healthy: boolean) => void): void {
    this.healthListeners.push(listener);
  }

  /** Called whenever a health probe is answered. */
  onProbeAnswered(listener: () => void): void {
    this.probeAnsweredListeners.push(listener);
  }

  /** Resolves once connected, or rejects after `timeoutMs` (start-up and CLI commands). */
  async waitUntilReady(timeoutMs: number): Promise<void> {
    if (this.redis.status === 'ready') return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new StoreUnavailableError(`Redis is not reachable after ${timeoutMs} ms`)), timeoutMs);
      this.redis.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.probe);
    this.probe = undefined;
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  private setHealthy(healthy: boolean, why: string): void {
    if (healthy === this.healthy || this.closing) return;
    this.healthy = healthy;
    if (healthy) this.logger.info({ why }, 'credential store available');
    else this.logger.error({ why }, 'credential store unavailable: no request will be accepted until it is back');
    for (const listener of this.healthListeners) listener(healthy);
  }

  private async checkHealth(): Promise<void> {
    if (this.redis.status !== 'ready' || this.probing) return; // The connection events report the first case.
    this.probing = true;
    try {
      await this.redis.ping();
      this.stalled = false;
      this.setHealthy(true, 'ping answered');
      for (const listener of this.probeAnsweredListeners) listener();
    } catch {
      this.setHealthy(false, 'ping failed or timed out');
    } finally {
      this.probing = false;
    }
  }

  /** A command was answered: the store is healthy. */
  answered(): void {
    this.setHealthy(true, 'command answered');
  }

  /**
   * A command on the login path. While Redis is stalled (a command timed out) nothing more
   * is sent: every command would only wait in its socket, and the queue on both sides would
   * grow with the request rate for as long as the stall lasts. The probe lifts this once
   * Redis answers.
   */
  async command<T>(operation: () => Promise<T>): Promise<T> {
    if (this.stalled) throw new StoreUnavailableError('credential store unavailable: Redis stopped answering; waiting for it to recover');
    const started = performance.now();
    try {
      const result = await operation();
      if (storeCommand.hasSubscribers) storeCommand.publish({ seconds: (performance.now() - started) / 1000, ok: true } satisfies StoreCommandEvent);
      return result;
    } catch (error) {
      if (storeCommand.hasSubscribers) storeCommand.publish({ seconds: (performance.now() - started) / 1000, ok: false } satisfies StoreCommandEvent);
      throw this.unavailable(error);
    }
  }

  /**
   * Work in the background (copying user records, writing the stand-ins): not sent while
   * Redis is stalled, and its failures are its own. A page of a thousand reads timing out
   * must not mark the store stalled and drop the logins that would have been answered.
   */
  async background<T>(operation: () => Promise<T>): Promise<T> {
    if (this.stalled || !this.healthy) throw new StoreUnavailableError('credential store unavailable: background work waits until Redis answers');
    return operation();
  }

  /**
   * Turns a failed command into StoreUnavailableError and notes the stall. Script errors
   * are bugs, not outages: they surface as they are.
   */
  unavailable(error: unknown): Error {
    const message = error instanceof Error ? error.message : String(error);
    if (/ERR .*script|NOSCRIPT|WRONGTYPE/i.test(message)) return error as Error;
    if (/timed out|after the command timeout/i.test(message)) this.stalled = true;
    this.setHealthy(false, message);
    return new StoreUnavailableError(`credential store unavailable: ${message}`);
  }

  /** WAIT for the configured replicas, so an answered consume survives a failover. */
  async awaitReplicas(): Promise<void> {
    const { waitReplicas, commandTimeoutMs } = this.options;
    if (waitReplicas === 0) return;
    // WAIT gives up a little before the client's own timeout, so a missing replica shows
    // as "not acknowledged" rather than as a stalled Redis.
    const acknowledged = await this.command(() => (this.redis as Redis).wait(waitReplicas, Math.max(10, Math.floor(commandTimeoutMs * 0.8))));
    if (acknowledged < waitReplicas) {
      throw new StoreUnavailableError(`only ${acknowledged} of ${waitReplicas} replicas acknowledged the decision in time`);
    }
  }

  /**
   * Holds the commands written from now until releaseWrites() in the socket's buffer, so
   * they leave in one system call (a write is a system call each, and on loopback the
   * larger part of a command's cost). Must be paired with releaseWrites() in the same turn.
   * A single Redis only: Cluster's commands go to several sockets.
   */
  holdWrites(): void {
    const stream = (this.redis as Partial<Redis>).stream;
    if (stream === undefined || this.redis.status !== 'ready') return;
    stream.cork();
    this.heldStream = stream;
  }

  releaseWrites(): void {
    this.heldStream?.uncork();
    this.heldStream = undefined;
  }
}
