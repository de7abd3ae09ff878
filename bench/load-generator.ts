/**
 * The bench's NAS: a closed-loop RADIUS load generator on radgate's one RADIUS client
 * (src/client). `inFlight` requests are always outstanding; each reply (or timeout)
 * immediately frees its slot for the next request. From the client it gets:
 *
 * - a fresh random Request Authenticator per request, so a server's reply cache
 *   (RFC 5080 §2.2.2) never answers from memory: each request does the whole job;
 * - a Message-Authenticator in every request (BlastRADIUS, as a current NAS sends);
 * - strict reply checks (Response Authenticator, and Message-Authenticator when present
 *   or required);
 * - Identifiers never reused while in flight, and resting after a timeout, so a late reply
 *   cannot be taken for the answer to a newer request.
 * Here, a request is sent once (no retransmission): a missing reply is a timeout.
 *
 * It runs on the bench's main thread and reports its own CPU time and event-loop
 * utilisation, so a reader can see whether the generator, rather than the server, was the
 * limit.
 */
import { performance } from 'node:perf_hooks';
import type { ConnectionOptions } from 'node:tls';
import { RadiusClient, type Exchange } from '../src/client/radius-client.js';
import { AttributeType, PacketCode, type RawAttribute } from '../src/protocol/index.js';
import { RadsecLoadClient } from './radsec-load-client.js';

export type ReplyKind = 'accept' | 'reject' | 'challenge';

/** One request to send: a PAP Access-Request or a Status-Server (RFC 5997). */
export type LoadRequest =
  | { readonly kind: 'access'; readonly userName: Buffer; readonly password: Buffer; readonly expect: ReplyKind }
  | { readonly kind: 'status'; readonly expect: ReplyKind };

/** Where requests come from. `next()` returning undefined means "nothing more to send now" (e.g. a TOTP pool used up for this time step). */
export interface Workload {
  next(): LoadRequest | undefined;
}

export interface Target {
  readonly host: string;
  readonly port: number;
  readonly secret: Buffer;
  /** Count a reply without Message-Authenticator as invalid (radgate always sends one; FreeRADIUS 3.2.1 may not). */
  readonly requireReplyMessageAuthenticator: boolean;
  /** RADIUS over TLS (RFC 6614) instead of UDP: this many connections, with these TLS options (`secret` is then `radsec`). */
  readonly tls?: { readonly connections: number; readonly options: ConnectionOptions };
}

export interface RunOptions {
  readonly target: Target;
  readonly workload: Workload;
  readonly inFlight: number;
  /** Stop sending new requests after this long (ms). */
  readonly durationMs?: number;
  /** Stop sending new requests after this many. */
  readonly maxRequests?: number;
  /** No verified reply after this long: a timeout (default 2000 ms). */
  readonly timeoutMs?: number;
}

export interface RunResult {
  readonly sent: number;
  readonly accept: number;
  readonly reject: number;
  readonly challenge: number;
  readonly timeout: number;
  /** Verified replies whose code was not the one the workload expected. */
  readonly unexpected: number;
  /** Datagrams that failed decoding or authenticator checks, or answered no request in flight. */
  readonly invalid: number;
  readonly sendErrors: number;
  /** From the first send to the last reply or timeout. */
  readonly elapsedMs: number;
  readonly requestsPerSecond: number;
  readonly latencyMs: { readonly p50: number; readonly p99: number; readonly max: number };
  /** CPU of this (the generator's) process during the run, per answered request. */
  readonly generatorCpuUsPerRequest: number;
  readonly generatorCpuSeconds: number;
  /** Share of the run the generator's event loop was busy (1 = saturated: the generator was the limit). */
  readonly generatorLoopUtilization: number;
  /** Why the run ended before its time or count, if it did (e.g. the workload ran dry). */
  readonly stoppedEarly: string | undefined;
}

/** How long an Identifier whose request timed out rests before reuse. */
const QUARANTINE_MS = 10_000;
/** Requests in flight per socket: half the Identifier space, so each Identifier rests between uses. */
const IN_FLIGHT_PER_SOCKET = 128;

const REPLY_KINDS: Record<number, ReplyKind | undefined> = {
  [PacketCode.AccessAccept]: 'accept',
  [PacketCode.AccessReject]: 'reject',
  [PacketCode.AccessChallenge]: 'challenge',
};

/** What a VPN concentrator adds to every Access-Request besides the credentials. */
const NAS_ATTRIBUTES: readonly RawAttribute[] = [
  { type: AttributeType.NasIpAddress, value: Buffer.from([127, 0, 0, 1]) },
  { type: 5 /* NAS-Port */, value: Buffer.from([0, 0, 0, 7]) },
  { type: 61 /* NAS-Port-Type: Virtual */, value: Buffer.from([0, 0, 0, 5]) },
  { type: AttributeType.NasIdentifier, value: Buffer.from('bench-vpn-1') },
  { type: 31 /* Calling-Station-Id */, value: Buffer.from('192.0.2.10') },
];

function percentile(sorted: Float64Array, fraction: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)]!;
}

/** Runs one closed-loop measurement; resolves once every request has been answered or has timed out. */
export async function runLoad(options: RunOptions): Promise<RunResult> {
  const { target, workload, inFlight } = options;
  const timeoutMs = options.timeoutMs ?? 2000;
  const durationMs = options.durationMs ?? Infinity;
  const maxRequests = options.maxRequests ?? Infinity;
  if (!Number.isInteger(inFlight) || inFlight < 1 || inFlight > 4096) throw new RangeError('inFlight must be 1 to 4096');

  const client =
    target.tls === undefined
      ? await RadiusClient.open({
          host: target.host,
          port: target.port,
          secret: target.secret,
          sockets: Math.ceil(inFlight / IN_FLIGHT_PER_SOCKET),
          retransmitMs: timeoutMs,
          transmissions: 1,
          quarantineMs: QUARANTINE_MS,
          requireMessageAuthenticator: target.requireReplyMessageAuthenticator,
        })
      : await RadsecLoadClient.open({ host: target.host, port: target.port, secret: target.secret, connections: target.tls.connections, tls: target.tls.options, timeoutMs });
  const counts = { accept: 0, reject: 0, challenge: 0, timeout: 0, unexpected: 0 };
  let latencies = new Float64Array(1 << 16);
  let answered = 0;
  let sent = 0;
  let started = 0;
  let stopping = false;
  let stoppedEarly: string | undefined;
  let busy = 0;
  let lastActivity = 0;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));

  const record = (latency: number) => {
    if (answered === latencies.length) {
      const grown = new Float64Array(latencies.length * 2);
      grown.set(latencies);
      latencies = grown;
    }
    latencies[answered++] = latency;
  };

  const idle = () => {
    busy--;
    if (busy === 0) finish();
  };

  const next = (): void => {
    if (stopping || sent >= maxRequests || performance.now() - started >= durationMs) {
      stopping = true;
      idle();
      return;
    }
    const spec = workload.next();
    if (spec === undefined) {
      stoppedEarly ??= 'the workload ran out of requests it may send now';
      stopping = true;
      idle();
      return;
    }
    sent++;
    const expect = spec.expect;
    const request =
      spec.kind === 'access'
        ? ({ kind: 'access', userName: spec.userName, password: spec.password, attributes: NAS_ATTRIBUTES } as const)
        : ({ kind: 'status' } as const);
    client.request(request, (exchange: Exchange) => {
      lastActivity = performance.now();
      const reply = exchange.reply;
      if (reply === undefined) counts.timeout++;
      else {
        record(reply.roundTripMs);
        const kind = REPLY_KINDS[reply.code];
        if (kind === undefined) counts.unexpected++;
        else {
          counts[kind]++;
          if (kind !== expect) counts.unexpected++;
        }
      }
      next();
    });
    if (client.waiting > 0) {
      // Every Identifier is resting after timeouts: nothing safe to send any more.
      stoppedEarly ??= 'no free Identifier (too many timeouts)';
      stopping = true;
    }
  };

  const cpuBefore = process.cpuUsage();
  const loopBefore = performance.eventLoopUtilization();
  started = performance.now();
  lastActivity = started;
  busy = inFlight;
  for (let i = 0; i < inFlight; i++) next();
  if (busy > 0) await finished;
  const elapsedMs = Math.max(1, lastActivity - started);
  const cpu = process.cpuUsage(cpuBefore);
  const loop = performance.eventLoopUtilization(loopBefore);
  const invalid = client.strayReplies;
  const sendErrors = client.sendErrors;
  await client.close();

  const sorted = latencies.subarray(0, answered).sort();
  const answeredRequests = Math.max(1, sent - counts.timeout);
  return {
    sent,
    ...counts,
    invalid,
    sendErrors,
    elapsedMs,
    requestsPerSecond: ((sent - counts.timeout) * 1000) / elapsedMs,
    latencyMs: { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), max: sorted.length === 0 ? 0 : sorted[sorted.length - 1]! },
    generatorCpuUsPerRequest: (cpu.user + cpu.system) / answeredRequests,
    generatorCpuSeconds: (cpu.user + cpu.system) / 1e6,
    generatorLoopUtilization: loop.utilization,
    stoppedEarly: stoppedEarly,
  };
}

/** True when the server answers one Status-Server with a verified Access-Accept within `timeoutMs`. */
export async function answersStatusServer(target: Target, timeoutMs: number): Promise<boolean> {
  const result = await runLoad({ target, inFlight: 1, maxRequests: 1, timeoutMs, workload: { next: () => ({ kind: 'status', expect: 'accept' }) } });
  return result.accept === 1;
}
