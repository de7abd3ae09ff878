import { isIPv4 } from 'node:net';

/** How many handshakes a second may begin, per source and in total (radsec.max_handshakes_per_second*). */
export interface HandshakeRates {
  readonly perSecond: number;
  readonly perAddressPerSecond: number;
}

/**
 * The source a handshake rate is counted for: an IPv4 address, or an IPv6 /64 (one host
 * commonly holds a whole /64, so counting its addresses one by one would limit nothing).
 */
export function rateSource(address: string): string {
  const plain = address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address;
  if (isIPv4(plain)) return plain;
  const [head = '', tail] = plain.replace(/%.*$/, '').split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${groups.slice(0, 4).map((group) => Number.parseInt(group || '0', 16).toString(16)).join(':')}::/64`;
}

/**
 * A fixed one-second window of handshakes begun, per source and in total. Each RSA-3072
 * signature costs milliseconds of the event loop, so a flood of TLS ClientHellos could
 * starve every connection's packets: past the rate, a socket is closed before TLS starts.
 * The window is cleared every second, so the memory it holds is bounded by one second's
 * connections whatever the number of sources.
 */
export class HandshakeRateLimit {
  private windowStart = Number.NEGATIVE_INFINITY;
  private total = 0;
  private readonly bySource = new Map<string, number>();

  /** Counts a handshake about to begin from `address`, or says which rate it would exceed. */
  admit(address: string, rates: HandshakeRates, now = performance.now()): 'ok' | 'rate-limited' | 'address-rate-limited' {
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.total = 0;
      this.bySource.clear();
    }
    const source = rateSource(address);
    const fromSource = this.bySource.get(source) ?? 0;
    if (fromSource >= rates.perAddressPerSecond) return 'address-rate-limited';
    if (this.total >= rates.perSecond) return 'rate-limited';
    this.bySource.set(source, fromSource + 1);
    this.total++;
    return 'ok';
  }
}
