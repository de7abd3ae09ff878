/**
 * The metrics of one gateway process (README "Operations"). What the request path does is
 * heard on the diagnostics channels of events.ts and counted here; what the transport
 * already counts (drops by cause, replies, reply-cache hits) and what is a state (cache
 * and copy sizes, store health) is read at scrape time, so the packet path pays nothing
 * more for them. Labels are bounded sets: client names from the config, packet codes,
 * methods, refusal and drop reasons — never a user name, an address or a secret.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { Counter, Gauge, Histogram, type Registry } from '@prometheus-io/client';
import type { Counters } from './counters.js';
import { loginAlert, requestAnswered, storeCommand, type LoginAlertEvent, type RequestAnsweredEvent, type StoreCommandEvent } from './events.js';

/** The transport's counters (transport/server.ts ServerCounter), read at scrape time. */
export type TransportCounters = Pick<Counters<'received' | 'dropped' | 'malformed' | 'replies' | 'retransmissions'>, 'get' | 'labelled'>;

/**
 * V8 heap per copy outside the arena: the index's Map slot and the user name string
 * (62 B measured by bench/copy-load.ts at a million users of 14-character names).
 */
export const INDEX_BYTES_PER_USER_COPY = 62;

export interface GatewayMetricSources {
  readonly transport: TransportCounters;
  replyCacheEntries(): number;
  userCopies(): number;
  /** Bytes the copies' arena has allocated (live copies and garbage not yet compacted). */
  userCopyArenaBytes(): number;
  /** Request codes still pending in the copies of the user records (what this gateway has seen). */
  pendingChallenges(): number;
  storeHealthy(): boolean;
  /** The RADIUS/TLS listener's counters (transport/radsec-server.ts), when there is one. */
  readonly radsec?: {
    readonly counters: Pick<Counters<'received' | 'dropped' | 'handshakes' | 'closed'>, 'get' | 'labelled'>;
    openConnections(): number;
  };
}

// Seconds. A login is a Redis round trip plus hashing (about 1 ms on a quiet machine);
// the top buckets catch a slow store up to the request deadline.
const DECISION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const REDIS_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

/** A counter whose value is the transport's own count, copied in at scrape time. */
function copiedCounter(registry: Registry, name: string, help: string, read: () => number): void {
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}

function copiedLabelledCounter(registry: Registry, name: string, help: string, label: string, read: () => [string, number][]): void {
  new Counter({
    name,
    help,
    labelNames: [label],
    registers: [registry],
    collect() {
      this.reset();
      for (const [value, count] of read()) this.inc({ [label]: value }, count);
    },
  });
}

/** The gateway's metrics, in the process's registry (beside process-metrics.ts's). */
export class GatewayMetrics {
  private readonly unsubscribers: (() => void)[] = [];

  constructor(registry: Registry, sources: GatewayMetricSources) {
    const requests = new Counter({
      name: 'radgate_requests_total',
      help: 'Requests past the protocol checks, by transport (udp, radsec), client, packet code, result, login method and refusal or drop reason.',
      labelNames: ['transport', 'client', 'code', 'result', 'method', 'reason'] as const,
      registers: [registry],
    });
    const decisions = new Histogram({
      name: 'radgate_decision_duration_seconds',
      help: 'From the datagram\'s arrival to its answer being ready, by packet code and result; the configured reject delay is not included.',
      labelNames: ['code', 'result'] as const,
      buckets: DECISION_BUCKETS,
      registers: [registry],
    });
    // The label sets are few and repeat: keep each one's series, so a request costs a Map
    // lookup rather than the library hashing a label object (sorting its keys) twice.
    const series = new Map<string, { readonly request: Counter.Internal; readonly decision: Histogram.Internal<'code' | 'result'> }>();
    this.listen(requestAnswered, (event: RequestAnsweredEvent) => {
      const key = `${event.transport}\0${event.client}\0${event.code}\0${event.result}\0${event.method}\0${event.reason}`;
      let found = series.get(key);
      if (found === undefined) {
        found = {
          request: requests.labels({ transport: event.transport, client: event.client, code: event.code, result: event.result, method: event.method, reason: event.reason }),
          decision: decisions.labels({ code: event.code, result: event.result }),
        };
        series.set(key, found);
      }
      found.request.inc();
      found.decision.observe(event.seconds);
    });

    const redisCommands = new Counter({ name: 'radgate_redis_commands_total', help: 'Redis round trips of the gateway: decide.lua and WAIT per login, and the background copy of user records.', registers: [registry] });
    const redisErrors = new Counter({ name: 'radgate_redis_command_errors_total', help: 'Gateway Redis commands that failed or timed out.', registers: [registry] });
    const redisLatency = new Histogram({ name: 'radgate_redis_command_duration_seconds', help: 'Latency of gateway Redis commands, failed ones included.', buckets: REDIS_BUCKETS, registers: [registry] });
    this.listen(storeCommand, (event: StoreCommandEvent) => {
      redisCommands.inc();
      if (!event.ok) redisErrors.inc();
      redisLatency.observe(event.seconds);
    });

    const lockouts = new Counter({ name: 'radgate_lockouts_total', help: 'Users locked out by a failed login (policy.max_failures reached).', registers: [registry] });
    const lostTokens = new Counter({ name: 'radgate_lost_token_alerts_total', help: 'Logins with a tokencode of a token marked lost (each an audit alert).', registers: [registry] });
    this.listen(loginAlert, (event: LoginAlertEvent) => (event.kind === 'lockout' ? lockouts : lostTokens).inc());

    const { transport } = sources;
    copiedCounter(registry, 'radgate_datagrams_received_total', 'Datagrams read from the RADIUS sockets.', () => transport.get('received'));
    copiedLabelledCounter(registry, 'radgate_dropped_total', 'Datagrams not answered, by cause (docs/ERRORS.md lists the codes).', 'reason', () => transport.labelled('dropped'));
    copiedLabelledCounter(registry, 'radgate_malformed_total', 'Datagrams that failed decoding, by codec error code.', 'code', () => transport.labelled('malformed'));
    copiedLabelledCounter(registry, 'radgate_replies_total', 'Replies sent, by packet code (retransmissions from the reply cache not included).', 'code', () => transport.labelled('replies'));
    copiedCounter(registry, 'radgate_reply_cache_hits_total', 'Retransmissions answered from the reply cache (RFC 5080), not evaluated again.', () => transport.get('retransmissions'));

    if (sources.radsec !== undefined) this.radsecMetrics(registry, sources.radsec);

    new Gauge({
      name: 'radgate_reply_cache_entries',
      help: 'Replies and requests in progress held for duplicate detection.',
      registers: [registry],
      collect() {
        this.set(sources.replyCacheEntries());
      },
    });
    new Gauge({
      name: 'radgate_user_copies',
      help: 'Copies of user records held (summed over the worker processes, each holds its own).',
      registers: [registry],
      collect() {
        this.set(sources.userCopies());
      },
    });
    new Gauge({
      name: 'radgate_user_copies_bytes',
      help: `Memory held by the copies of user records: the arena's allocated bytes, and an estimated ${INDEX_BYTES_PER_USER_COPY} B per copy for its index entry and name.`,
      registers: [registry],
      collect() {
        this.set(sources.userCopyArenaBytes() + sources.userCopies() * INDEX_BYTES_PER_USER_COPY);
      },
    });
    new Gauge({
      name: 'radgate_pending_challenges',
      help: 'Request codes pending, as the copies of the user records show them (the largest over the workers).',
      registers: [registry],
      aggregator: 'max',
      collect() {
        this.set(sources.pendingChallenges());
      },
    });
    new Gauge({
      name: 'radgate_redis_up',
      help: '1 while Redis answers (in every worker process), else 0.',
      registers: [registry],
      aggregator: 'min',
      collect() {
        this.set(sources.storeHealthy() ? 1 : 0);
      },
    });
  }

  /** RADIUS over TLS: handshakes by result, connections open and closed, packets and drops. */
  private radsecMetrics(registry: Registry, radsec: NonNullable<GatewayMetricSources['radsec']>): void {
    const { counters } = radsec;
    copiedLabelledCounter(registry, 'radgate_radsec_handshakes_total', 'RadSec handshakes by result: ok, or why the peer was refused (unknown-ca, expired, revoked, unknown-psk, wrong-psk, timeout, over-capacity, …).', 'result', () => counters.labelled('handshakes'));
    copiedLabelledCounter(registry, 'radgate_radsec_connections_closed_total', 'RadSec connections closed, by reason (peer-closed, idle, length-too-large, malformed, partial-packet-timeout, …).', 'reason', () => counters.labelled('closed'));
    copiedCounter(registry, 'radgate_radsec_packets_received_total', 'RADIUS packets read from RadSec connections.', () => counters.get('received'));
    copiedLabelledCounter(registry, 'radgate_radsec_dropped_total', 'RadSec packets not answered, by cause.', 'reason', () => counters.labelled('dropped'));
    new Gauge({
      name: 'radgate_radsec_connections_open',
      help: 'RadSec connections established now (summed over the worker processes).',
      registers: [registry],
      collect() {
        this.set(radsec.openConnections());
      },
    });
  }

  private listen<Event>(channel: { name: string | symbol }, handle: (event: Event) => void): void {
    const listener = (message: unknown): void => handle(message as Event);
    subscribe(channel.name, listener);
    this.unsubscribers.push(() => unsubscribe(channel.name, listener));
  }

  /** Stops listening (a gateway stopped in a process that goes on, as in the tests). */
  close(): void {
    for (const stop of this.unsubscribers.splice(0)) stop();
  }
}
