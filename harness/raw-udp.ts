import { spawn } from 'node:child_process';
import { patient } from './patience.js';

/**
 * Builds each IPv4 + UDP header by hand and sends it through a raw socket (IPPROTO_RAW
 * implies IP_HDRINCL on Linux; the kernel fills in the IP checksum, and a UDP checksum of
 * 0 means "none" over IPv4, RFC 768).
 */
const SENDER = `
import socket, struct, sys
source, source_port, destination, destination_port = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
for payload in (bytes.fromhex(h) for h in sys.argv[5:]):
    udp = struct.pack('!HHHH', source_port, destination_port, 8 + len(payload), 0) + payload
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), 0, 0, 64, socket.IPPROTO_UDP, 0, socket.inet_aton(source), socket.inet_aton(destination))
    raw.sendto(ip + udp, (destination, 0))
`;

export interface SpoofedSource {
  /** The IPv4 address the datagrams claim to come from. */
  readonly source: string;
  /** The UDP source port they claim, 0 included (which no ordinary socket can send from: bind(0) picks a port). */
  readonly sourcePort: number;
  readonly destination?: string;
  readonly destinationPort: number;
}

/**
 * Sends `datagrams` with a source the test chooses, as a spoofer does: UDP port 0, or an
 * address of a configured NAS. Node has no raw sockets, so Python's standard library sends
 * them; that needs root (CI runs as root). Resolves once every datagram has been handed to
 * the kernel: on loopback they are then in the destination socket's receive queue.
 */
export function sendSpoofedUdp(from: SpoofedSource, datagrams: readonly Buffer[]): Promise<void> {
  const args = ['-c', SENDER, from.source, String(from.sourcePort), from.destination ?? '127.0.0.1', String(from.destinationPort), ...datagrams.map((datagram) => datagram.toString('hex'))];
  return new Promise((resolve, reject) => {
    const child = spawn('python3', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), patient(5000));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`the raw UDP sender failed (${signal ?? `exit ${code}`}; it needs root and python3): ${stderr.trim()}`));
    });
  });
}
