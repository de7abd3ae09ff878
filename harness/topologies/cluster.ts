/**
 * A Redis Cluster of three masters for the reliability tests: real processes on private
 * loopback ports, each stopped by `close()`.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { freeClusterPorts } from '../ports.js';
import { patient } from '../patience.js';
import { startTestRedis, type TestRedis } from '../redis.js';
import { until } from '../until.js';
import { ask } from './ask.js';

const execFileAsync = promisify(execFile);

export class ClusterTopology {
  /** radgate's redis.url for this cluster. */
  readonly url: string;
  private slotOwners: { from: number; to: number; port: number }[] = [];

  private constructor(readonly nodes: readonly TestRedis[]) {
    this.url = `redis+cluster://${nodes.map((node) => `127.0.0.1:${node.port}`).join(',')}`;
  }

  static async start(masters = 3): Promise<ClusterTopology> {
    const nodes: TestRedis[] = [];
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
        timeout: patient(30_000),
      });
      const cluster = new ClusterTopology(nodes);
      await until('every cluster node reports cluster_state:ok', patient(15_000), async () => {
        for (const node of nodes) if (!String(await ask(node.port, 'CLUSTER', 'INFO')).includes('cluster_state:ok')) return false;
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
        const [next, batch] = (await ask(node.port, 'SCAN', cursor, 'COUNT', 1000)) as [string, string[]];
        cursor = next;
        keys.push(...batch);
      } while (cursor !== '0');
      byNode.set(node.port, keys);
    }
    return byNode;
  }

  async close(): Promise<void> {
    for (const node of this.nodes) await node.stop();
  }
}

