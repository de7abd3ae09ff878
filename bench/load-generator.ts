/**
 * The bench's NAS: a closed-loop RADIUS load generator. `inFlight` requests are always
 * outstanding; each reply (or timeout) immediately frees its slot for the next request.
 *
 * Why our own and not radgate's RadiusClient: that client sends one request at a time and
 * retransmits, which is right for `radgate test` and wrong for load. Here:
 *
 * - every request gets a fresh random Request Authenticator, so a server's reply cache
 *   (RFC 5080 §2.2.2) never answers from memory — each request does the whole job;
 * - every request carries a Message-Authenticator (BlastRADIUS, as a current NAS sends);
 * - every reply is decoded strictly and its Response Authenticator verified (RFC 2865 §3),
 *   and its Message-Authenticator too when present (RFC 3579 §3.2) or required;
 * - Identifiers are never reused while in flight: each socket has its own 256 and hands
 *   them out in FIFO order, and as many sockets are used as the load needs;
 * - a request without a verified reply after `timeoutMs` is counted as a timeout and not
 *   retransmitted; its Identifier rests a while before reuse, so a late reply cannot be
 *   taken for the answer to a newer request.
 *
 * It runs on the bench's main thread and reports its own CPU time and event-loop
 * utilisation, so a reader can see whether the generator, rather than the server, was the
 * limit.
 */
import { randomFillSync } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import {
  AttributeType,
  decodePacket,
  encodeRequest,
  hideUserPassword,
  PacketCode,
  verifyMessageAuthenticator,
  verifyResponseAuthenticator,
  type RadiusPacket,
  type RawAttribute,
} from '../src/protocol/index.js';

export type ReplyKind = 'accept' | 'reject' | 'challenge';

/** One request to send: a PAP Access-Request or a Status-Server (RFC 5997). */
export type RequestSpec =
  | { readonly kind: 'access'; readonly userName: Buffer; readonly password: Buffer; readonly expect: ReplyKind }
  | { readonly kind: 'status'; readonly expect: ReplyKind };

/** Where requests come from. `next()` returning undefined means "nothing more to send now" (e.g. a TOTP pool used up for this time step). */
export interface Workload {
  next(): RequestSpec | undefined;
}

export interface Target {
  readonly host: string;
  readonly port: number;
  readonly secret: Buffer;
  /** Count a reply without Message-Authenticator as invalid (radgate always sends one; FreeRADIUS 3.2.1 may not). */
  readonly requireReplyMessageAuthenticator: boolean;
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

/** Identifiers of one socket: never two in flight, reused in FIFO order. */
class IdentifierPool {
  private readonly ring = new Uint8Array(256);
  private head = 0;
  private count = 256;

  constructor() {
    for (let i = 0; i < 256; i++) this.ring[i] = i;
  }

  take(): number | undefined {
    if (this.count === 0) return undefined;
    const id = this.ring[this.head]!;
    this.head = (this.head + 1) & 0xff;
    this.count--;
    return id;
  }

  release(id: number): void {
    this.ring[(this.head + this.count) & 0xff] = id;
    this.count++;
  }
}

interface Channel {
  readonly socket: Socket;
  readonly ids: IdentifierPool;
  /** The slot waiting on each Identifier. */
  readonly pending: (Slot | undefined)[];
}

interface Slot {
  readonly channel: Channel;
  id: number;
  sentAt: number;
  authenticator: Buffer;
  expect: ReplyKind;
  busy: boolean;
}

/** How long an Identifier whose request timed out rests before reuse. */
const QUARANTINE_MS = 10_000;
/** Slots per socket: half the Identifier space, so each Identifier rests between uses. */
const SLOTS_PER_SOCKET = 128;

const REPLY_KINDS: Record<number, ReplyKind | undefined> = {
  [PacketCode.AccessAccept]: 'accept',
  [PacketCode.AccessReject]: 'reject',
  [PacketCode.AccessChallenge]: 'challenge',
};

/**
 * 16-byte Request Authenticators cut from a pool refilled with the CSPRNG 4096 at a time:
 * one randomFillSync per 4096 requests instead of one randomBytes call each.
 */
class RandomAuthenticators {
  private readonly pool = Buffer.allocUnsafe(16 * 4096);
  private offset = this.pool.length;

  next(): Buffer {
    if (this.offset === this.pool.length) {
      randomFillSync(this.pool);
      this.offset = 0;
    }
    const value = this.pool.subarray(this.offset, this.offset + 16);
    this.offset += 16;
    return value;
  }
}

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

  const counts = { accept: 0, reject: 0, challenge: 0, timeout: 0, unexpected: 0, invalid: 0, sendErrors: 0 };
  const channels: Channel[] = [];
  for (let i = 0; i < Math.ceil(inFlight / SLOTS_PER_SOCKET); i++) {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', () => resolve());
    });
    // Connected: send() then skips the per-datagram address lookup Node does for an
    // unconnected socket, and the kernel delivers only the server's datagrams to us.
    await new Promise<void>((resolve) => socket.connect(target.port, target.host, () => resolve()));
    // Replies arrive in bursts of up to inFlight datagrams; the default buffer is ample,
    // but a larger one keeps a GC pause in the generator from dropping replies.
    socket.setRecvBufferSize(4 * 1024 * 1024);
    // Without a send callback Node may complete a send synchronously; failures then
    // arrive here (e.g. ECONNREFUSED after an ICMP port unreachable).
    socket.on('error', () => counts.sendErrors++);
    channels.push({ socket, ids: new IdentifierPool(), pending: new Array<Slot | undefined>(256).fill(undefined) });
  }

  const randoms = new RandomAuthenticators();
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

  const idle = (slot: Slot) => {
    slot.busy = false;
    busy--;
    if (busy === 0) finish();
  };

  const send = (slot: Slot): void => {
    if (stopping || sent >= maxRequests) {
      stopping = true;
      idle(slot);
      return;
    }
    const spec = workload.next();
    if (spec === undefined) {
      stoppedEarly ??= 'the workload ran out of requests it may send now';
      stopping = true;
      idle(slot);
      return;
    }
    const id = slot.channel.ids.take();
    if (id === undefined) {
      // Every Identifier of this socket is resting after timeouts: nothing safe to send.
      stoppedEarly ??= 'no free Identifier (too many timeouts)';
      stopping = true;
      idle(slot);
      return;
    }
    const authenticator = randoms.next();
    let attributes: RawAttribute[];
    let code: number;
    if (spec.kind === 'access') {
      code = PacketCode.AccessRequest;
      attributes = [
        { type: AttributeType.UserName, value: spec.userName },
        { type: AttributeType.UserPassword, value: hideUserPassword(spec.password, target.secret, authenticator) },
        ...NAS_ATTRIBUTES,
      ];
    } else {
      code = PacketCode.StatusServer;
      attributes = [];
    }
    const packet = encodeRequest({ code, identifier: id, authenticator, attributes, secret: target.secret, messageAuthenticator: true });
    slot.id = id;
    // The packet's own copy: the pool slice is overwritten 4096 requests later.
    slot.authenticator = packet.subarray(4, 20);
    slot.expect = spec.expect;
    slot.sentAt = performance.now();
    slot.channel.pending[id] = slot;
    sent++;
    slot.channel.socket.send(packet);
  };

  const onMessage = (channel: Channel, datagram: Buffer): void => {
    const now = performance.now();
    lastActivity = now;
    if (datagram.length < 20) {
      counts.invalid++;
      return;
    }
    const slot = channel.pending[datagram[1]!];
    if (slot === undefined) {
      counts.invalid++; // Answers nothing in flight (a reply after its timeout).
      return;
    }
    let reply: RadiusPacket;
    try {
      reply = decodePacket(datagram);
    } catch {
      counts.invalid++;
      return;
    }
    // RFC 2865 §3: a reply whose Response Authenticator does not verify is silently
    // discarded; the request then times out, which the counts show.
    if (!verifyResponseAuthenticator(reply, slot.authenticator, target.secret)) {
      counts.invalid++;
      return;
    }
    const hasMessageAuthenticator = reply.messageAuthenticatorOffset >= 0;
    if (hasMessageAuthenticator ? !verifyMessageAuthenticator(reply, target.secret, slot.authenticator) : target.requireReplyMessageAuthenticator) {
      counts.invalid++;
      return;
    }
    channel.pending[slot.id] = undefined;
    channel.ids.release(slot.id);
    record(now - slot.sentAt);
    const kind = REPLY_KINDS[reply.code];
    if (kind === undefined) counts.unexpected++;
    else {
      counts[kind]++;
      if (kind !== slot.expect) counts.unexpected++;
    }
    send(slot);
  };

  for (const channel of channels) channel.socket.on('message', (datagram: Buffer) => onMessage(channel, datagram));

  const slots: Slot[] = [];
  for (let i = 0; i < inFlight; i++) {
    slots.push({ channel: channels[i % channels.length]!, id: -1, sentAt: 0, authenticator: Buffer.alloc(0), expect: 'accept', busy: true });
  }

  // One timer for every slot: cheaper than a setTimeout per request, and 50 ms of slack
  // on a 2 s timeout does not matter.
  const sweep = setInterval(() => {
    const now = performance.now();
    if (now - started >= durationMs) stopping = true;
    for (const slot of slots) {
      if (!slot.busy || slot.channel.pending[slot.id] !== slot || now - slot.sentAt < timeoutMs) continue;
      counts.timeout++;
      lastActivity = now;
      const { channel, id } = slot;
      channel.pending[id] = undefined;
      setTimeout(() => channel.ids.release(id), QUARANTINE_MS).unref();
      send(slot);
    }
  }, 50);

  const cpuBefore = process.cpuUsage();
  const loopBefore = performance.eventLoopUtilization();
  started = performance.now();
  lastActivity = started;
  busy = slots.length;
  for (const slot of slots) send(slot);
  if (busy > 0) await finished;
  clearInterval(sweep);
  const elapsedMs = Math.max(1, lastActivity - started);
  const cpu = process.cpuUsage(cpuBefore);
  const loop = performance.eventLoopUtilization(loopBefore);
  await Promise.all(channels.map((channel) => new Promise<void>((resolve) => channel.socket.close(() => resolve()))));

  const sorted = latencies.subarray(0, answered).sort();
  const answeredRequests = Math.max(1, sent - counts.timeout);
  return {
    sent,
    ...counts,
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
