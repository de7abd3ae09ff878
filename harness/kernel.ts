import { readFileSync } from 'node:fs';
import { constants } from 'node:os';

/**
 * What the kernel knows that a test may wait for, so that it waits for the thing itself
 * rather than for a guess of how long it takes (Linux /proc).
 */

/** Datagrams' bytes waiting in the receive queues of the UDP sockets bound to this local port (IPv4). */
export function udpReceiveQueueBytes(port: number): number {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  let total = 0;
  for (const line of readFileSync('/proc/net/udp', 'utf8').split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 5 || !fields[1]!.endsWith(`:${hexPort}`)) continue;
    total += Number.parseInt(fields[4]!.split(':')[1]!, 16);
  }
  return total;
}

/** True when `signal` is pending for the process (sent and not yet handled, e.g. while it is stopped). */
export function signalPending(pid: number, signal: NodeJS.Signals): boolean {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const bit = 1n << BigInt(constants.signals[signal] - 1);
  return ['SigPnd', 'ShdPnd'].some((field) => {
    const match = new RegExp(`^${field}:\\s*([0-9a-f]+)$`, 'm').exec(status);
    return match !== null && (BigInt(`0x${match[1]}`) & bit) !== 0n;
  });
}

/** Lets every callback queued for the next event-loop turns run (unhandled rejections are reported by then). */
export async function nextTurns(turns = 2): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
}
