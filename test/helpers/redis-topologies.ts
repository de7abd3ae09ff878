/**
 * Redis deployments for the reliability tests and the failover loop, all real processes on
 * private loopback ports: a Sentinel group (one master, one replica, three sentinels) and a
 * Cluster of three masters; radgate started against them through the same composition root
 * as `radgate serve`; and a NAS stand-in that keeps single-use codes under steady load and
 * counts, per code, how many distinct requests were accepted.
 *
 * Every process started here is stopped by `close()`, and SIGKILLed when the test process
 * exits (the data nodes by redis-process's own exit hook, the sentinels by the one below).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { RadgateConfig, RedisConfig } from '../../src/config/types.js';
import { openCredentials, startGateway, type Credentials, type Gateway } from '../../src/gateway.js';
import {
  AttributeType,
  decodePacket,
  encodeRequest,
  hideUserPassword,
  PacketCode,
  randomAuthenticator,
  verifyMessageAuthenticator,
  verifyResponseAuthenticator,
} from '../../src/protocol/index.js';
import { codeFromJson } from '../../src/store/records.js';
import type { RedisProcess } from '../../src/store/redis-process.js';
import { capturingLogger } from './gateway.js';
import { TEST_SECRET } from './packets.js';
import { startTestRedis } from './redis.js';
import { OPERATOR, testConfig } from './stack.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// --- small tools ---------------------------------------------------------------------

/** Polls `check` every 100 ms until it returns something other than undefined or false. */
export async function until<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined | false>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
      last = undefined;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`${what}: not after ${timeoutMs} ms${last instanceof Error ? ` (last error: ${last.message})` : ''}`);
    }
    await sleep(100);
  }
}

/** One command on a short-lived connection of its own, to a data node or a sentinel. */
export async function ask(port: number, command: string, ...args: (string | number)[]): Promise<unknown> {
  const client = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    enableReadyCheck: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 1000,
    commandTimeout: 3000,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    return await client.call(command, ...args.map(String));
  } finally {
    client.disconnect();
  }
}

/** A Redis reply of alternating names and values (SENTINEL MASTER, REPLICAS…) as a map. */
function fields(flat: unknown): Map<string, string> {
  const list = flat as string[];
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < list.length; i += 2) map.set(list[i]!, list[i + 1]!);
  return map;
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A port the kernel says is free now (port 0, then released). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Ports for Cluster nodes: each node also binds its bus on port + 10000, so both must be
 * free. Picked below the kernel's ephemeral range (32768+) so an outgoing connection does
 * not take one between this probe and the bind.
 */
async function freeClusterPorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < count) {
    const port = 12_000 + Math.floor(Math.random() * 10_000);
    if (ports.includes(port) || !(await portIsFree(port)) || !(await portIsFree(port + 10_000))) continue;
    ports.push(port);
  }
  return ports;
}

// --- sentinel processes ----------------------------------------------------------------

const liveSentinels = new Set<ChildProcess>();
let sentinelExitHook = false;

/** A `redis-server sentinel.conf --sentinel`: Sentinel needs a writable config file of its own. */
export class SentinelProcess {
  private constructor(
    readonly port: number,
    private readonly child: ChildProcess,
    private readonly dir: string,
    private readonly output: string[],
    private readonly exited: Promise<void>,
  ) {}

  static async start(options: {
    readonly masterName: string;
    readonly masterPort: number;
    readonly quorum: number;
    readonly downAfterMs: number;
    readonly failoverTimeoutMs: number;
  }): Promise<SentinelProcess> {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'radgate-sentinel-'));
    const file = join(dir, 'sentinel.conf');
    writeFileSync(
      file,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        'daemonize no',
        `dir ${dir}`,
        'logfile ""',
        `sentinel monitor ${options.masterName} 127.0.0.1 ${options.masterPort} ${options.quorum}`,
        `sentinel down-after-milliseconds ${options.masterName} ${options.downAfterMs}`,
        `sentinel failover-timeout ${options.masterName} ${options.failoverTimeoutMs}`,
        `sentinel parallel-syncs ${options.masterName} 1`,
        '',
      ].join('\n'),
    );
    // In the runner's process group, like the tests' redis-servers: a runner that kills its
    // workers' group (a timeout, Ctrl-C) takes the sentinels down with them.
    const child = spawn('redis-server', [file, '--sentinel'], { stdio: ['ignore', 'pipe', 'pipe'] });
    liveSentinels.add(child);
    if (!sentinelExitHook) {
      sentinelExitHook = true;
      process.on('exit', () => {
        for (const running of liveSentinels) running.kill('SIGKILL');
      });
    }
    const output: string[] = [];
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
        output.push(line);
        if (output.length > 200) output.shift();
      });
    }
    let hasExited = false;
    const exited = new Promise<void>((resolve) =>
      child.once('exit', () => {
        hasExited = true;
        liveSentinels.delete(child);
        resolve();
      }),
    );
    const sentinel = new SentinelProcess(port, child, dir, output, exited);
    try {
      await until(`sentinel on port ${port} answers PING`, 10_000, async () => {
        if (hasExited) throw new Error(`sentinel exited during start-up:\n${output.slice(-10).join('\n')}`);
        return (await ask(port, 'PING')) === 'PONG';
      });
    } catch (error) {
      await sentinel.stop();
      throw error;
    }
    return sentinel;
  }

  /** The sentinel's own log (its +switch-master, +convert-to-slave… events). */
  log(): readonly string[] {
    return this.output;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
      await this.exited;
      clearTimeout(timer);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

// --- Sentinel: one master, one replica, three sentinels ---------------------------------

export interface SentinelTopologyOptions {
  readonly masterName?: string;
  /** Default 1000: a dead master is noticed after about a second. */
  readonly downAfterMs?: number;
  /** Default 5000. */
  readonly failoverTimeoutMs?: number;
  /**
   * Default true: shorten the sentinels' INFO period (10 s → 1 s), hello period (2 s →
   * 0.5 s) and PING period (1 s → 0.5 s) with SENTINEL DEBUG. After a failover, a sentinel
   * turns the old master into a replica only 4 hello periods after it learnt of the switch,
   * at its next INFO: about 10 s with the defaults, during which the new master has no
   * replica to acknowledge WAIT. With a 1 s down-after, a 1 s PING period sometimes lets a
   * sentinel see the just-promoted master as down and fail over a second time.
   */
  readonly quickSentinels?: boolean;
}

/** For the two data nodes (besides AOF with appendfsync always): no 5 s wait before a full sync. */
const DATA_NODE_ARGS = ['--repl-diskless-sync-delay', '0'];

export class SentinelTopology {
  readonly masterName: string;
  /** radgate's redis.url for this group. */
  readonly url: string;
  /** The data nodes by port; a node killed and brought back is replaced here. */
  private readonly nodes = new Map<number, RedisProcess>();

  private constructor(
    masterName: string,
    readonly sentinels: readonly SentinelProcess[],
    nodes: readonly RedisProcess[],
  ) {
    this.masterName = masterName;
    this.url = `redis+sentinel://${sentinels.map((sentinel) => `127.0.0.1:${sentinel.port}`).join(',')}/${masterName}`;
    for (const node of nodes) this.nodes.set(node.port!, node);
  }

  static async start(options: SentinelTopologyOptions = {}): Promise<SentinelTopology> {
    const masterName = options.masterName ?? 'mymaster';
    const started: RedisProcess[] = [];
    const sentinels: SentinelProcess[] = [];
    try {
      const master = await startTestRedis({ appendfsync: 'always', extraArgs: DATA_NODE_ARGS });
      started.push(master);
      started.push(await startTestRedis({ appendfsync: 'always', extraArgs: [...DATA_NODE_ARGS, '--replicaof', '127.0.0.1', String(master.port)] }));
      for (let i = 0; i < 3; i++) {
        sentinels.push(
          await SentinelProcess.start({
            masterName,
            masterPort: master.port!,
            quorum: 2,
            downAfterMs: options.downAfterMs ?? 1000,
            failoverTimeoutMs: options.failoverTimeoutMs ?? 5000,
          }),
        );
      }
      if (options.quickSentinels ?? true) {
        for (const sentinel of sentinels) await ask(sentinel.port, 'SENTINEL', 'DEBUG', 'info-period', 1000, 'publish-period', 500, 'ping-period', 500);
      }
      const topology = new SentinelTopology(masterName, sentinels, started);
      await topology.settled();
      return topology;
    } catch (error) {
      for (const sentinel of sentinels) await sentinel.stop();
      for (const node of started) await node.stop();
      throw error;
    }
  }

  node(port: number): RedisProcess {
    const node = this.nodes.get(port);
    if (node === undefined) throw new Error(`no data node on port ${port}`);
    return node;
  }

  /** The master's port if every sentinel names the same one, else undefined. */
  async agreedMasterPort(): Promise<number | undefined> {
    const answers = await Promise.all(
      this.sentinels.map((sentinel) => ask(sentinel.port, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', this.masterName).catch(() => undefined)),
    );
    const ports = new Set(answers.map((answer) => (Array.isArray(answer) ? Number(answer[1]) : undefined)));
    return ports.size === 1 ? [...ports][0] : undefined;
  }

  /** The master the sentinels agree on (waiting up to 10 s for them to agree), and the other node. */
  async roles(): Promise<{ master: number; replica: number }> {
    const master = await until('the sentinels agree on a master', 10_000, () => this.agreedMasterPort());
    const replica = [...this.nodes.keys()].find((port) => port !== master)!;
    return { master, replica };
  }

  /**
   * Waits until the group is healthy again: the sentinels agree on a master that says it
   * is one, the other node replicates from it with its link up, and every sentinel sees
   * that replica, the two other sentinels and no failover in progress.
   */
  async settled(timeoutMs = 30_000): Promise<{ master: number; replica: number }> {
    return until('the Sentinel group settles (master, linked replica, 3 sentinels agree)', timeoutMs, async () => {
      const master = await this.agreedMasterPort();
      if (master === undefined || !this.nodes.has(master)) return undefined;
      const replica = [...this.nodes.keys()].find((port) => port !== master)!;
      const masterRole = (await ask(master, 'ROLE')) as [string, number, [string, string, string][]];
      if (masterRole[0] !== 'master' || !masterRole[2].some(([, port]) => Number(port) === replica)) return undefined;
      const replicaRole = (await ask(replica, 'ROLE')) as [string, string, number, string];
      if (replicaRole[0] !== 'slave' || Number(replicaRole[2]) !== master || replicaRole[3] !== 'connected') return undefined;
      for (const sentinel of this.sentinels) {
        const state = fields(await ask(sentinel.port, 'SENTINEL', 'MASTER', this.masterName));
        if (state.get('flags') !== 'master' || Number(state.get('port')) !== master) return undefined;
        const replicas = ((await ask(sentinel.port, 'SENTINEL', 'REPLICAS', this.masterName)) as unknown[]).map(fields);
        const seen = replicas.find((entry) => Number(entry.get('port')) === replica);
        if (seen?.get('flags') !== 'slave' || seen.get('master-link-status') !== 'ok' || Number(seen.get('master-port')) !== master) return undefined;
        if (((await ask(sentinel.port, 'SENTINEL', 'SENTINELS', this.masterName)) as unknown[]).length !== this.sentinels.length - 1) return undefined;
      }
      return { master, replica };
    });
  }

  /** `SENTINEL FAILOVER`: a failover without agreement from the others, as an operator forces one. */
  async forceFailover(): Promise<void> {
    await until('SENTINEL FAILOVER is accepted', 10_000, async () => (await ask(this.sentinels[0]!.port, 'SENTINEL', 'FAILOVER', this.masterName)) === 'OK');
  }

  /** Resolves with the new master's port once every sentinel names it and it says it is master. */
  async switched(fromPort: number, timeoutMs = 20_000): Promise<number> {
    return until(`the sentinels switch away from ${fromPort}`, timeoutMs, async () => {
      const master = await this.agreedMasterPort();
      if (master === undefined || master === fromPort) return undefined;
      return ((await ask(master, 'ROLE')) as string[])[0] === 'master' ? master : undefined;
    });
  }

  /** Resolves once the node on `port` replicates from `masterPort` with its link up (by its own ROLE). */
  async replicating(port: number, masterPort: number, timeoutMs = 30_000): Promise<void> {
    await until(`${port} replicates from ${masterPort}`, timeoutMs, async () => {
      const [role, , master, state] = (await ask(port, 'ROLE')) as [string, string, number, string];
      return role === 'slave' && Number(master) === masterPort && state === 'connected';
    });
  }

  /** Stops a node (SIGTERM) or kills it (`SIGKILL`): it stays down until restarted. */
  async stopNode(port: number, signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    const node = this.node(port);
    if (signal === 'SIGTERM') return node.stop();
    node.kill('SIGKILL');
    await until(`redis-server on ${port} is gone`, 5000, async () => node.pid() === undefined);
  }

  /**
   * Brings a stopped or killed node back as a replica of `masterPort`, on the same port and
   * with a fresh data directory: what a supervisor restarting it with the configuration
   * Sentinel rewrote would do. It then resynchronises from the master.
   */
  async restartAsReplica(port: number, masterPort: number): Promise<void> {
    const old = this.node(port);
    await old.stop();
    const node = await startTestRedis({ port, appendfsync: 'always', extraArgs: [...DATA_NODE_ARGS, '--replicaof', '127.0.0.1', String(masterPort)] });
    this.nodes.set(port, node);
  }

  async close(): Promise<void> {
    for (const sentinel of this.sentinels) await sentinel.stop();
    for (const node of this.nodes.values()) await node.stop();
  }
}

// --- Cluster: three masters ------------------------------------------------------------

const execFileAsync = promisify(execFile);

export class ClusterTopology {
  /** radgate's redis.url for this cluster. */
  readonly url: string;
  private slotOwners: { from: number; to: number; port: number }[] = [];

  private constructor(readonly nodes: readonly RedisProcess[]) {
    this.url = `redis+cluster://${nodes.map((node) => `127.0.0.1:${node.port}`).join(',')}`;
  }

  static async start(masters = 3): Promise<ClusterTopology> {
    const nodes: RedisProcess[] = [];
    try {
      for (const port of await freeClusterPorts(masters)) {
        nodes.push(
          await startTestRedis({
            port,
            appendfsync: 'everysec',
            extraArgs: ['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', '5000'],
          }),
        );
      }
      await execFileAsync('redis-cli', ['--cluster', 'create', ...nodes.map((node) => `127.0.0.1:${node.port}`), '--cluster-replicas', '0', '--cluster-yes'], {
        timeout: 30_000,
      });
      const cluster = new ClusterTopology(nodes);
      await until('every cluster node reports cluster_state:ok', 15_000, async () => {
        for (const node of nodes) if (!String(await ask(node.port!, 'CLUSTER', 'INFO')).includes('cluster_state:ok')) return false;
        return true;
      });
      await cluster.refreshSlots();
      return cluster;
    } catch (error) {
      for (const node of nodes) await node.stop();
      throw error;
    }
  }

  private async refreshSlots(): Promise<void> {
    const slots = (await ask(this.nodes[0]!.port!, 'CLUSTER', 'SLOTS')) as [number, number, [string, number, string]][];
    this.slotOwners = slots.map(([from, to, [, port]]) => ({ from, to, port: Number(port) }));
  }

  /** CLUSTER KEYSLOT, as the server computes it (hash tags included). */
  async slotOf(key: string): Promise<number> {
    return Number(await ask(this.nodes[0]!.port!, 'CLUSTER', 'KEYSLOT', key));
  }

  /** The port of the master serving a slot. */
  ownerOf(slot: number): number {
    const owner = this.slotOwners.find((range) => slot >= range.from && slot <= range.to);
    if (owner === undefined) throw new Error(`slot ${slot} is not served`);
    return owner.port;
  }

  /** Every key on every node, by node port. */
  async keysByNode(): Promise<Map<number, string[]>> {
    const byNode = new Map<number, string[]>();
    for (const node of this.nodes) {
      const keys: string[] = [];
      let cursor = '0';
      do {
        const [next, batch] = (await ask(node.port!, 'SCAN', cursor, 'COUNT', 1000)) as [string, string[]];
        cursor = next;
        keys.push(...batch);
      } while (cursor !== '0');
      byNode.set(node.port!, keys);
    }
    return byNode;
  }

  async close(): Promise<void> {
    for (const node of this.nodes) await node.stop();
  }
}

// --- radgate against a topology ----------------------------------------------------------

export interface RadgateUnderTest {
  readonly config: RadgateConfig;
  readonly gateway: Gateway;
  /** Admin access (what the CLI uses), on a connection of its own. */
  readonly admin: Credentials;
  readonly port: number;
  readonly lines: string[];
  readonly logger: Logger;
  close(): Promise<void>;
}

/**
 * One gateway and one admin connection on `redisUrl`, configured like the tests' stack
 * (loopback, port 0, TEST_SECRET) plus `yaml`, and with `redis` settings laid over the
 * parsed config (testConfig's text already holds the `redis:` map).
 */
export async function startRadgate(
  redisUrl: string,
  options: { yaml?: string; redis?: Partial<Pick<RedisConfig, 'waitReplicas' | 'commandTimeoutMs'>>; logLevel?: string } = {},
): Promise<RadgateUnderTest> {
  const parsed = testConfig({ redisUrl, ...(options.yaml === undefined ? {} : { yaml: options.yaml }) });
  const config: RadgateConfig = { ...parsed, redis: { ...parsed.redis, ...options.redis } };
  const { logger, lines } = capturingLogger(options.logLevel ?? 'info');
  const admin = await openCredentials(config, logger);
  let gateway: Gateway;
  try {
    gateway = await startGateway(config, logger);
  } catch (error) {
    await admin.close();
    throw error;
  }
  return {
    config,
    gateway,
    admin,
    port: gateway.server.addresses()[0]!.port,
    lines,
    logger,
    async close() {
      await gateway.stop();
      await admin.close();
    },
  };
}

// --- a NAS under load ------------------------------------------------------------------

export interface SingleUseCode {
  readonly user: string;
  readonly id: string;
  readonly code: string;
}

/** Users with single-use emergency passcodes (`uses: 1`), typed alone. */
export async function provisionSingleUseCodes(admin: Credentials, options: { prefix: string; users: number; codesPerUser: number }): Promise<SingleUseCode[]> {
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

/** One Access-Request (one fingerprint) and every reply it got, retransmissions included. */
export interface Attempt {
  readonly user: string;
  /** The single-use code typed, when the request carries one. */
  readonly code: SingleUseCode | undefined;
  readonly firstSentAt: number;
  sends: number;
  readonly replies: { readonly code: number; readonly at: number }[];
}

export interface RetransmitOptions {
  /** NAS retransmission interval (default 1000 ms) and number of sends (default 3). */
  readonly retransmitMs?: number;
  readonly sends?: number;
  /**
   * How long replies are still collected after the last send (default 2500 ms): longer
   * than the gateway's request_timeout_ms, so no reply can come later than that.
   */
  readonly lingerMs?: number;
}

interface Pending {
  readonly attempt: Attempt;
  readonly authenticator: Buffer;
  /** Resolves `answered`: at the first reply, or with undefined when the window closes. */
  readonly answer: (code: number | undefined) => void;
}

/**
 * A NAS stand-in on one UDP socket (one source port): each request is retransmitted
 * unchanged (RFC 5080) until answered or out of sends. Replies are matched by Identifier
 * and kept only if their Response Authenticator and Message-Authenticator verify, so a
 * late reply is never credited to another request. An Identifier stays reserved until no
 * reply to its request can still arrive.
 */
export class Nas {
  private readonly pending = new Map<number, Pending>();
  private nextId = Math.floor(Math.random() * 256);
  private readonly settings: Required<RetransmitOptions>;

  private constructor(
    private readonly socket: Socket,
    private readonly port: number,
    options: RetransmitOptions,
  ) {
    this.settings = { retransmitMs: options.retransmitMs ?? 1000, sends: options.sends ?? 3, lingerMs: options.lingerMs ?? 2500 };
    socket.on('message', (datagram) => this.received(datagram));
  }

  static async open(port: number, options: RetransmitOptions = {}): Promise<Nas> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return new Nas(socket, port, options);
  }

  /** Requests whose replies may still arrive. */
  get inFlight(): number {
    return this.pending.size;
  }

  /**
   * Sends one Access-Request; `answered` resolves at the first reply (or undefined when out
   * of sends), `settled` once no further reply can come. Undefined when every Identifier
   * of this socket is still reserved.
   */
  request(user: string, password: string, code?: SingleUseCode): { attempt: Attempt; answered: Promise<number | undefined>; settled: Promise<void> } | undefined {
    let identifier: number | undefined;
    for (let probe = 0; probe < 256 && identifier === undefined; probe++) {
      const candidate = (this.nextId + probe) & 0xff;
      if (!this.pending.has(candidate)) identifier = candidate;
    }
    if (identifier === undefined) return undefined;
    this.nextId = (identifier + 1) & 0xff;
    const authenticator = randomAuthenticator();
    const packet = encodeRequest({
      code: PacketCode.AccessRequest,
      identifier,
      authenticator,
      secret: TEST_SECRET,
      attributes: [
        { type: AttributeType.UserName, value: Buffer.from(user) },
        { type: AttributeType.UserPassword, value: hideUserPassword(Buffer.from(password), TEST_SECRET, authenticator) },
      ],
    });
    const attempt: Attempt = { user, code, firstSentAt: Date.now(), sends: 0, replies: [] };
    let answer!: (code: number | undefined) => void;
    const answered = new Promise<number | undefined>((resolve) => (answer = resolve));
    this.pending.set(identifier, { attempt, authenticator, answer });
    const { retransmitMs, sends, lingerMs } = this.settings;
    const send = () => {
      if (attempt.replies.length > 0) return; // Answered: a NAS stops retransmitting.
      attempt.sends++;
      this.socket.send(packet, this.port, '127.0.0.1');
    };
    send();
    for (let i = 1; i < sends; i++) setTimeout(send, i * retransmitMs);
    const settled = new Promise<void>((resolve) =>
      setTimeout(() => {
        this.pending.delete(identifier);
        answer(undefined);
        resolve();
      }, (sends - 1) * retransmitMs + lingerMs),
    );
    return { attempt, answered, settled };
  }

  private received(datagram: Buffer): void {
    let reply;
    try {
      reply = decodePacket(datagram);
    } catch {
      return;
    }
    const entry = this.pending.get(reply.identifier);
    if (entry === undefined) return;
    if (!verifyResponseAuthenticator(reply, entry.authenticator, TEST_SECRET)) return;
    if (!verifyMessageAuthenticator(reply, TEST_SECRET, entry.authenticator)) return;
    entry.attempt.replies.push({ code: reply.code, at: Date.now() });
    entry.answer(reply.code);
  }

  close(): void {
    this.socket.close();
  }
}

/**
 * One request as a NAS sends it; every reply's code. By default it waits out the whole
 * reply window, so that "no Accept" means none came, however late; `firstReply` returns
 * at the first answer instead.
 */
export async function nasRequest(
  port: number,
  user: string,
  password: string,
  options: RetransmitOptions & { firstReply?: boolean } = {},
): Promise<{ replies: number[]; sends: number }> {
  const nas = await Nas.open(port, options);
  try {
    const { attempt, answered, settled } = nas.request(user, password)!;
    await (options.firstReply === true ? answered : settled);
    return { replies: attempt.replies.map((reply) => reply.code), sends: attempt.sends };
  } finally {
    nas.close();
  }
}

export interface LoadOptions extends RetransmitOptions {
  /** New Access-Requests per second (default 60), whether or not earlier ones were answered. */
  readonly requestsPerSecond?: number;
  /** How fast codes come into play (default 8/s). */
  readonly codesPerSecond?: number;
  /** How many of the most recently released codes a request picks from (default 6). */
  readonly window?: number;
  /** UDP sockets (source ports) the requests are spread over (default 4). */
  readonly sockets?: number;
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
  private readonly sockets: Nas[] = [];
  private ticker: NodeJS.Timeout | undefined;
  private startedAt = 0;
  private sent = 0;
  /** Requests not sent because every Identifier of a socket was still reserved. */
  skipped = 0;

  constructor(
    private readonly port: number,
    private readonly codes: readonly SingleUseCode[],
    private readonly options: LoadOptions = {},
  ) {}

  async start(): Promise<void> {
    for (let i = 0; i < (this.options.sockets ?? 4); i++) this.sockets.push(await Nas.open(this.port, this.options));
    this.startedAt = Date.now();
    const interval = 1000 / (this.options.requestsPerSecond ?? 60);
    // A timer per request would drift under load; catch up with the schedule instead.
    this.ticker = setInterval(() => {
      const due = Math.floor((Date.now() - this.startedAt) / interval);
      while (this.sent < due) this.sendNext();
    }, Math.max(5, Math.floor(interval)));
  }

  private sendNext(): void {
    const nas = this.sockets[this.sent % this.sockets.length]!;
    this.sent++;
    const released = Math.min(this.codes.length, 1 + Math.floor(((Date.now() - this.startedAt) / 1000) * (this.options.codesPerSecond ?? 8)));
    const first = Math.max(0, released - (this.options.window ?? 6));
    const code = this.codes[first + Math.floor(Math.random() * (released - first))]!;
    const request = nas.request(code.user, code.code, code);
    if (request === undefined) this.skipped++;
    else this.attempts.push(request.attempt);
  }

  /** Stops sending new requests, waits until no reply can still come, closes the sockets. */
  async stop(): Promise<void> {
    clearInterval(this.ticker);
    await until('the last requests are answered or given up', 30_000, async () => this.sockets.every((nas) => nas.inFlight === 0));
    for (const nas of this.sockets) nas.close();
  }

  /** When the first reply came to a request first sent at or after `since`. */
  firstAnswerSentAfter(since: number): number | undefined {
    let first: number | undefined;
    for (const attempt of this.attempts) {
      if (attempt.firstSentAt < since || attempt.replies.length === 0) continue;
      const at = attempt.replies[0]!.at;
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
  for (const attempt of attempts) {
    datagrams += attempt.sends;
    if (attempt.replies.length === 0) continue;
    answered++;
    const kinds = new Set(attempt.replies.map((reply) => reply.code));
    if (kinds.size > 1) inconsistent++;
    if (kinds.has(PacketCode.AccessAccept)) {
      accepted++;
      if (attempt.code !== undefined) acceptsByCode.set(attempt.code.id, (acceptsByCode.get(attempt.code.id) ?? 0) + 1);
    } else if (kinds.has(PacketCode.AccessReject)) rejected++;
  }
  const doubleAccepted = [...acceptsByCode].filter(([, count]) => count > 1).map(([id]) => id);
  return { requests: attempts.length, datagrams, answered, accepted, rejected, inconsistent, acceptsByCode, doubleAccepted };
}

/** Uses of every code of these users, read from one node directly (not through radgate). */
export async function usesOnNode(port: number, admin: Credentials, users: Iterable<string>): Promise<Map<string, number>> {
  const uses = new Map<string, number>();
  for (const user of new Set(users)) {
    for (const json of (await ask(port, 'HVALS', admin.store.keys.codes(user))) as string[]) {
      const record = codeFromJson(json);
      uses.set(record.id, record.uses);
    }
  }
  return uses;
}

/** The port of the Redis node a radgate connection is talking to now. */
export async function connectedPort(credentials: Credentials): Promise<number | undefined> {
  try {
    const [, port] = (await credentials.store.redis.config('GET', 'port')) as [string, string];
    return Number(port);
  } catch {
    return undefined;
  }
}

// --- one Sentinel failover under load ----------------------------------------------------

export type SentinelFault = 'sentinel-failover' | 'kill-master';

/**
 * The gateway settings for failover runs. `wait_replicas: 1`: a decision is answered only
 * once the replica holds it. Under load most requests retry used-up codes and every Reject
 * counts towards a lockout, so the limit is high and the lockout short. The request
 * deadline (2 s) bounds how late a reply can come, which the NAS's linger (2.5 s) covers.
 */
export const FAILOVER_GATEWAY = {
  yaml: `policy:
  reject_delay_ms: 0
  max_failures: 100
  lockout_seconds: 1
request_timeout_ms: 2000
`,
  redis: { waitReplicas: 1, commandTimeoutMs: 500 },
} as const;

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
 * Runs single-use-code load against `radgate`, forces a failover of `topology` while it
 * runs, keeps the load going until the gateway answers again and a little after, then
 * checks every code against the master. A killed master is brought back as a replica
 * of the new one once the switch is done, as its supervisor would.
 */
export async function failoverUnderLoad(topology: SentinelTopology, radgate: RadgateUnderTest, fault: SentinelFault, options: FailoverRoundOptions): Promise<FailoverRound> {
  const rate = options.load?.codesPerSecond ?? 8;
  const beforeMs = options.beforeMs ?? 2000;
  const afterMs = options.afterMs ?? 2500;
  const recoverWithinMs = options.recoverWithinMs ?? 25_000;
  // Enough codes for the longest round; codes still unreleased at the end are simply unused.
  const codes = await provisionSingleUseCodes(radgate.admin, {
    prefix: options.label,
    users: 40,
    codesPerUser: Math.ceil((rate * (beforeMs + afterMs + recoverWithinMs)) / 1000 / 40) + 1,
  });
  const { master: fromPort } = await topology.settled();
  const load = new SingleUseCodeLoad(radgate.port, codes, options.load);
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
    recoveredAt = await until('the gateway answers a request sent after the switch', Math.max(0, recoverWithinMs - (Date.now() - faultAt)), async () =>
      load.firstAnswerSentAfter(switchedAt),
    ).catch(() => undefined);
    if (recoveredAt !== undefined) await sleep(afterMs);
  } finally {
    await load.stop();
  }
  const summary = summarize(load.attempts);
  const { master: finalPort } = await topology.roles();
  const uses = await usesOnNode(finalPort, radgate.admin, codes.map((code) => code.user));
  const { acceptsByCode, ...counts } = summary;
  const isAccepted = (attempt: Attempt) => attempt.replies.some((reply) => reply.code === PacketCode.AccessAccept);
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
    acceptedBeforeFault: load.attempts.filter((attempt) => attempt.firstSentAt < faultAt && isAccepted(attempt)).length,
    acceptedAfterSwitch: load.attempts.filter((attempt) => attempt.firstSentAt >= switchedAt && isAccepted(attempt)).length,
    gatewayPort: await connectedPort(radgate.gateway.credentials),
  };
}
