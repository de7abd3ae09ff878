/**
 * A Redis Sentinel group for the reliability tests and the failover loop: one master, one
 * replica and three sentinels, real processes on private loopback ports, each stopped by
 * `close()` and guarded so none outlives the run.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeTcpPort } from '../ports.js';
import { patient } from '../patience.js';
import { startServerProcess, type ServerProcess } from '../processes.js';
import { startTestRedis, type TestRedis } from '../redis.js';
import { until } from '../until.js';
import { ask, fields } from './ask.js';

/** A `redis-server sentinel.conf --sentinel`: Sentinel needs a writable config file of its own. */
export class SentinelProcess {
  private constructor(
    readonly port: number,
    private readonly server: ServerProcess,
    private readonly dir: string,
  ) {}

  static async start(options: {
    readonly masterName: string;
    readonly masterPort: number;
    readonly quorum: number;
    readonly downAfterMs: number;
    readonly failoverTimeoutMs: number;
  }): Promise<SentinelProcess> {
    const port = await freeTcpPort();
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
    const server = startServerProcess('redis-server', [file, '--sentinel']);
    const sentinel = new SentinelProcess(port, server, dir);
    try {
      await until(`sentinel on port ${port} answers PING`, patient(10_000), async () => {
        if (server.hasExited()) throw new Error(`sentinel exited during start-up:\n${server.output().slice(-10).join('\n')}`);
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
    return this.server.output();
  }

  async stop(): Promise<void> {
    await this.server.stop('SIGTERM', 5000);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

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
  private readonly nodes = new Map<number, TestRedis>();

  private constructor(
    masterName: string,
    readonly sentinels: readonly SentinelProcess[],
    nodes: readonly TestRedis[],
  ) {
    this.masterName = masterName;
    this.url = `redis+sentinel://${sentinels.map((sentinel) => `127.0.0.1:${sentinel.port}`).join(',')}/${masterName}`;
    for (const node of nodes) this.nodes.set(node.port, node);
  }

  static async start(options: SentinelTopologyOptions = {}): Promise<SentinelTopology> {
    const masterName = options.masterName ?? 'mymaster';
    const started: TestRedis[] = [];
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

  node(port: number): TestRedis {
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
    const master = await until('the sentinels agree on a master', patient(10_000), () => this.agreedMasterPort());
    const replica = [...this.nodes.keys()].find((port) => port !== master)!;
    return { master, replica };
  }

  /**
   * Waits until the group is healthy again: the sentinels agree on a master that says it
   * is one, the other node replicates from it with its link up, and every sentinel sees
   * that replica, the two other sentinels and no failover in progress.
   */
  async settled(timeoutMs = patient(30_000)): Promise<{ master: number; replica: number }> {
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
    await until('SENTINEL FAILOVER is accepted', patient(10_000), async () => (await ask(this.sentinels[0]!.port, 'SENTINEL', 'FAILOVER', this.masterName)) === 'OK');
  }

  /** Resolves with the new master's port once every sentinel names it and it says it is master. */
  async switched(fromPort: number, timeoutMs = patient(20_000)): Promise<number> {
    return until(`the sentinels switch away from ${fromPort}`, timeoutMs, async () => {
      const master = await this.agreedMasterPort();
      if (master === undefined || master === fromPort) return undefined;
      return ((await ask(master, 'ROLE')) as string[])[0] === 'master' ? master : undefined;
    });
  }

  /** Resolves once the node on `port` replicates from `masterPort` with its link up (by its own ROLE). */
  async replicating(port: number, masterPort: number, timeoutMs = patient(30_000)): Promise<void> {
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
    await until(`redis-server on ${port} is gone`, patient(5000), () => node.pid() === undefined);
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

