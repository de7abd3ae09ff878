import { cidrContains, parseCidr, peerAddressBytes, type Cidr } from '../config/cidr.js';
import type { ClientConfig } from '../config/types.js';

interface ClientEntry {
  readonly client: ClientConfig;
  readonly network: Cidr;
}

const LOOKUP_CACHE_LIMIT = 4096;

/**
 * Maps a packet's source address to its client (the `SecretSource` of layeh/radius).
 * Most specific network wins, so `10.0.0.5/32` can carry its own secret inside a
 * `10.0.0.0/24` block. Results are memoised per address: a NAS sends from a handful of
 * addresses, and the cache is cleared if a scan of random sources fills it.
 */
export class ClientTable {
  private readonly entries: readonly ClientEntry[];
  private readonly cache = new Map<string, ClientConfig | null>();

  constructor(clients: readonly ClientConfig[]) {
    this.entries = clients
      .map((client) => ({ client, network: parseCidr(client.address) }))
      .sort((a, b) => b.network.prefixLength - a.network.prefixLength);
  }

  lookup(address: string): ClientConfig | undefined {
    const cached = this.cache.get(address);
    if (cached !== undefined) return cached ?? undefined;
    const found = this.match(address);
    if (this.cache.size >= LOOKUP_CACHE_LIMIT) this.cache.clear();
    this.cache.set(address, found ?? null);
    return found;
  }

  private match(address: string): ClientConfig | undefined {
    const bytes = peerAddressBytes(address);
    for (const entry of this.entries) {
      if (cidrContains(entry.network, bytes)) return entry.client;
    }
    return undefined;
  }
}
