/**
 * Steady load of single-use codes against a gateway, and one Sentinel failover under it:
 * what the Sentinel tests and `npm run reliability:failover` measure. Every reply to every
 * request is kept (RadiusClient's linger), so a request answered both Accept and Reject,
 * or a code accepted for two requests, shows.
 */
import type { Exchange, RadiusClient, Reply } from '../src/client/radius-client.js';
import { PacketCode } from '../src/protocol/codes.js';
import { codeFromJson } from '../src/store/record-format.js';
import type { AdminAccess } from '../src/serve/admin-access.js';
import { openNas } from './nas.js';
import { patient } from './patience.js';
import { OPERATOR, type RadgateOn } from './stack.js';
import { ask } from './topologies/ask.js';
import type { SentinelTopology } from './topologies/sentinel.js';
import { sleep, until } from './until.js';

export interface SingleUseCode {
  readonly user: string;
  readonly id: string;
  readonly code: string;
}

/** Users with single-use emergency passcodes (`uses: 1`), typed alone. */
export async function provisionSingleUseCodes(admin: AdminAccess, options: { prefix: string; users: number; codesPerUser: number }): Promise<SingleUseCode[]> {
  const perUser: SingleUseCode[][] = [];
  for (let i = 0; i < options.users; i++) {
    const user = `${options.prefix}-${i}`;
    await admin.service.addUser(user, '2468', OPERATOR);
    await admin.service.assignToken(user, {}, OPERATOR);
    const issued = await admin.service.issueCodes(user, { kind: 'emergency-passcode', uses: 1, count: options.codesPerUser }, OPERATOR);
    perUser.push(issued.map(({ id, code }) => ({ user, id, code })));
  }
  // Interleaved, so the codes in play at one moment belong to different users.
  const codes: SingleUseCode[] = [];
  for (let j = 0; j < options.codesPerUser; j++) for (const list of perUser) codes.push(list[j]!);
  return codes;
}

/** One Access-Request and every reply it got, retransmissions included. */
export interface Attempt {
  readonly user: string;
  /** The single-use code typed. */
  readonly code: SingleUseCode;
  readonly exchange: Exchange;
}

/** Every verified reply of an exchange, the first one first. */
export function repliesOf(exchange: Exchange): readonly Reply[] {
  return exchange.reply === undefined ? exchange.lateReplies : [exchange.reply, ...exchange.lateReplies];
}

/**
 * The gateway settings for failover runs. `wait_replicas: 1`: a decision is answered only
 * once the replica holds it. Under load most requests retry used-up codes and every Reject
 * counts towards a lockout, so the limit is high and the lockout short.
 */
const FAILOVER_COMMAND_TIMEOUT_MS = Math.min(2000, patient(500));
export const FAILOVER_GATEWAY = {
  policy: '  reject_delay_ms: 0\n  max_failures: 100\n  lockout_seconds: 1\n',
  redis: `  wait_replicas: 1\n  command_timeout_ms: ${FAILOVER_COMMAND_TIMEOUT_MS}\n`,
  requestTimeoutMs: FAILOVER_COMMAND_TIMEOUT_MS * 2 + 1000,
} as const;

export interface LoadOptions {
  /** New Access-Requests per second (default 60), whether or not earlier ones were answered. */
  readonly requestsPerSecond?: number;
  /** How fast codes come into play (default 8/s). */
  readonly codesPerSecond?: number;
  /** How many of the most recently released codes a request picks from (default 6). */
  readonly window?: number;
  /** UDP sockets (source ports) the requests are spread over (default 4). */
  readonly sockets?: number;
  /** The gateway's request_timeout_ms: no reply can come later than this after a transmission. */
  readonly gatewayRequestTimeoutMs?: number;
}

/**
 * A NAS that keeps every request's Identifier, and collects its replies, until no reply
 * to it can still come: `gatewayRequestTimeoutMs` after its last transmission.
 */
export function openLingeringNas(port: number, options: { readonly sockets?: number; readonly gatewayRequestTimeoutMs?: number } = {}): Promise<RadiusClient> {
  const linger = (options.gatewayRequestTimeoutMs ?? FAILOVER_GATEWAY.requestTimeoutMs) + 500;
  return openNas({ port, sockets: options.sockets ?? 1, retransmitMs: 1000, transmissions: 3, lingerMs: linger, quarantineMs: linger });
}

/**
 * Steady load in open loop, as many NAS users would make it: a new Access-Request every
 * 1/rate seconds whether or not earlier ones were answered, each typing one of the codes
 * in play. Codes are released at a steady pace and each stays in play for the next
 * `window` releases, so every code is tried several times, and codes are being consumed
 * for the first time at every moment of the run, failover included.
 */
export class SingleUseCodeLoad {
  readonly attempts: Attempt[] = [];
  private nas: RadiusClient | undefined;
  private ticker: NodeJS.Timeout | undefined;
  private startedAt = 0;
  private sent = 0;

  constructor(
    private readonly port: number,
    private readonly codes: readonly SingleUseCode[],
    private readonly options: LoadOptions = {},
  ) {}

  async start(): Promise<void> {
    this.nas = await openLingeringNas(this.port, { sockets: this.options.sockets ?? 4, ...(this.options.gatewayRequestTimeoutMs === undefined ? {} : { gatewayRequestTimeoutMs: this.options.gatewayRequestTimeoutMs }) });
    this.startedAt = Date.now();
    const interval = 1000 / (this.options.requestsPerSecond ?? 60);
    // A timer per request would drift under load; catch up with the schedule instead.
    this.ticker = setInterval(() => {
      const due = Math.floor((Date.now() - this.startedAt) / interval);
      while (this.sent < due) this.sendNext();
    }, Math.max(5, Math.floor(interval)));
  }

  private sendNext(): void {
    this.sent++;
    const released = Math.min(this.codes.length, 1 + Math.floor(((Date.now() - this.startedAt) / 1000) * (this.options.codesPerSecond ?? 8)));
    const first = Math.max(0, released - (this.options.window ?? 6));
    const code = this.codes[first + Math.floor(Math.random() * (released - first))]!;
    this.nas!.request({ kind: 'access', userName: code.user, password: code.code }, (exchange) => this.attempts.push({ user: code.user, code, exchange }));
  }

  /** Stops sending new requests, waits until no reply can still come, closes the sockets. */
  async stop(): Promise<void> {
    clearInterval(this.ticker);
    const nas = this.nas;
    if (nas === undefined) return;
    await until('the last requests are answered or given up', patient(30_000), () => nas.inFlight === 0);
    await nas.close();
  }

  /** When the first reply came to a request first sent at or after `since`. */
  firstAnswerSentAfter(since: number): number | undefined {
    let first: number | undefined;
    for (const { exchange } of this.attempts) {
      if (exchange.sentAt < since || exchange.reply === undefined) continue;
      const at = exchange.reply.at;
      if (first === undefined || at < first) first = at;
    }
    return first;
  }
}

export interface LoadSummary {
  /** Access-Requests (distinct requests, not datagrams) and datagrams sent. */
  readonly requests: number;
  readonly datagrams: number;
  readonly answered: number;
  readonly accepted: number;
  readonly rejected: number;
  /** Requests answered both Accept and something else (never expected). */
  readonly inconsistent: number;
  /** Code id → number of distinct requests that got an Accept for it. */
  readonly acceptsByCode: ReadonlyMap<string, number>;
  /** Codes accepted for more than one request. Must be empty. */
  readonly doubleAccepted: readonly string[];
}

export function summarize(attempts: readonly Attempt[]): LoadSummary {
  const acceptsByCode = new Map<string, number>();
  let answered = 0;
  let accepted = 0;
  let rejected = 0;
  let inconsistent = 0;
  let datagrams = 0;
  for (const { code, exchange } of attempts) {
    datagrams += exchange.transmissions;
    const replies = repliesOf(exchange);
    if (replies.length === 0) continue;
    answered++;
    const kinds = new Set(replies.map((reply) => reply.code));
    if (kinds.size > 1) inconsistent++;
    if (kinds.has(PacketCode.AccessAccept)) {
      accepted++;
      acceptsByCode.set(code.id, (acceptsByCode.get(code.id) ?? 0) + 1);
    } else if (kinds.has(PacketCode.AccessReject)) rejected++;
  }
  const doubleAccepted = [...acceptsByCode].filter(([, count]) => count > 1).map(([id]) => id);
  return { requests: attempts.length, datagrams, answered, accepted, rejected, inconsistent, acceptsByCode, doubleAccepted };
}

/**
 * One request as a NAS sends it, and the code of every reply to it, waiting out the whole
 * reply window so that "no Accept" means none came, however late; `firstReply` returns at
 * the first answer instead.
 */
export async function lingeringLogin(port: number, user: string, password: string, options: { readonly firstReply?: boolean; readonly gatewayRequestTimeoutMs?: number } = {}): Promise<{ replies: number[]; transmissions: number }> {
  const nas = await openLingeringNas(port, options);
  try {
    const spec = { kind: 'access', userName: user, password } as const;
    const exchange = options.firstReply === true ? await nas.send(spec) : await nas.sendAndSettle(spec);
    return { replies: repliesOf(exchange).map((reply) => reply.code), transmissions: exchange.transmissions };
  } finally {
    await nas.close();
  }
}

/** Uses of every code of these users, read from one node directly (not through radgate). */
export async function usesOnNode(port: number, admin: AdminAccess, users: Iterable<string>): Promise<Map<string, number>> {
  const uses = new Map<string, number>();
  for (const user of new Set(users)) {
    for (const json of (await ask(port, 'HVALS', admin.store.keys.codes(user))) as string[]) {
      const record = codeFromJson(json);
      uses.set(record.id, record.uses);
    }
  }
  return uses;
}

/** The port of the Redis node a store connection is talking to now. */
export async function connectedPort(redis: { config(...args: string[]): Promise<unknown> }): Promise<number | undefined> {
  try {
    const [, port] = (await redis.config('GET', 'port')) as [string, string];
    return Number(port);
  } catch {
    return undefined;
  }
}

export type SentinelFault = 'sentinel-failover' | 'kill-master';

export interface FailoverRoundOptions {
  /** Names the round's users (they must be new). */
  readonly label: string;
  /** Load before the fault (default 2000 ms) and after the gateway answers again (default 2500 ms). */
  readonly beforeMs?: number;
  readonly afterMs?: number;
  /** Give up waiting for the gateway to answer again after this long (default 25 s). */
  readonly recoverWithinMs?: number;
  readonly load?: LoadOptions;
}

export interface FailoverRound extends Omit<LoadSummary, 'acceptsByCode'> {
  readonly fault: SentinelFault;
  readonly fromPort: number;
  readonly toPort: number;
  /**
   * The master the sentinels name once the load has stopped: `toPort`, unless they failed
   * over again (which the checks below then take into account).
   */
  readonly finalPort: number;
  /** Fault → every sentinel names the new master. */
  readonly switchMs: number;
  /** Fault → first reply to a request first sent after the switch; undefined: no reply in time. */
  readonly recoverMs: number | undefined;
  /** Accepted codes whose use is missing on the final master: an Accept without an acknowledged consume. */
  readonly unacknowledged: readonly string[];
  /** Codes used on the final master but never answered with Accept (consumed, then the reply was dropped). */
  readonly burnt: number;
  /** Requests accepted among those first sent before the fault, and after the switch. */
  readonly acceptedBeforeFault: number;
  readonly acceptedAfterSwitch: number;
  /** The port the gateway's connection is on after the round. */
  readonly gatewayPort: number | undefined;
}

/**
 * Runs single-use-code load against a gateway, forces a failover of `topology` while it
 * runs, keeps the load going until the gateway answers again and a little after, then
 * checks every code against the master. A killed master is brought back as a replica
 * of the new one once the switch is done, as its supervisor would.
 */
export async function failoverUnderLoad(topology: SentinelTopology, radgate: RadgateOn, fault: SentinelFault, options: FailoverRoundOptions): Promise<FailoverRound> {
  const rate = options.load?.codesPerSecond ?? 8;
  const beforeMs = options.beforeMs ?? 2000;
  const afterMs = options.afterMs ?? 2500;
  const recoverWithinMs = options.recoverWithinMs ?? 25_000;
  const { admin } = radgate;
  // Enough codes for the longest round; codes still unreleased at the end are simply unused.
  const codes = await provisionSingleUseCodes(admin, {
    prefix: options.label,
    users: 40,
    codesPerUser: Math.ceil((rate * (beforeMs + afterMs + recoverWithinMs)) / 1000 / 40) + 1,
  });
  const { master: fromPort } = await topology.settled();
  const load = new SingleUseCodeLoad(radgate.port, codes, { gatewayRequestTimeoutMs: radgate.config.requestTimeoutMs, ...options.load });
  await load.start();
  let toPort = fromPort;
  let faultAt = 0;
  let switchedAt = 0;
  let recoveredAt: number | undefined;
  try {
    await sleep(beforeMs);
    faultAt = Date.now();
    if (fault === 'sentinel-failover') await topology.forceFailover();
    else await topology.stopNode(fromPort, 'SIGKILL');
    toPort = await topology.switched(fromPort);
    switchedAt = Date.now();
    if (fault === 'kill-master') await topology.restartAsReplica(fromPort, toPort);
    recoveredAt = await until('the gateway answers a request sent after the switch', Math.max(0, recoverWithinMs - (Date.now() - faultAt)), () => load.firstAnswerSentAfter(switchedAt)).catch(
      () => undefined,
    );
    if (recoveredAt !== undefined) await sleep(afterMs);
  } finally {
    await load.stop();
  }
  const summary = summarize(load.attempts);
  const { master: finalPort } = await topology.roles();
  const uses = await usesOnNode(finalPort, admin, codes.map((code) => code.user));
  const { acceptsByCode, ...counts } = summary;
  const isAccepted = (exchange: Exchange) => repliesOf(exchange).some((reply) => reply.code === PacketCode.AccessAccept);
  return {
    fault,
    fromPort,
    toPort,
    finalPort,
    ...counts,
    switchMs: switchedAt - faultAt,
    recoverMs: recoveredAt === undefined ? undefined : recoveredAt - faultAt,
    unacknowledged: [...acceptsByCode.keys()].filter((id) => (uses.get(id) ?? 0) < 1),
    burnt: [...uses].filter(([id, count]) => count > 0 && !acceptsByCode.has(id)).length,
    acceptedBeforeFault: load.attempts.filter(({ exchange }) => exchange.sentAt < faultAt && isAccepted(exchange)).length,
    acceptedAfterSwitch: load.attempts.filter(({ exchange }) => exchange.sentAt >= switchedAt && isAccepted(exchange)).length,
    gatewayPort: await connectedPort(radgate.gateway.store.redis),
  };
}
