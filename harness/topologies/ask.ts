import { Redis } from 'ioredis';

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
export function fields(flat: unknown): Map<string, string> {
  const list = flat as string[];
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < list.length; i += 2) map.set(list[i]!, list[i + 1]!);
  return map;
}
