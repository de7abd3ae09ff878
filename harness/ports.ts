import { createSocket } from 'node:dgram';
import { createServer, type AddressInfo } from 'node:net';

/**
 * Free loopback ports, the one way tests and benchmarks pick them. Another process may
 * take a port between the pick and its bind: the callers that start servers on a picked
 * port (harness/redis.ts) retry with another when the bind fails.
 */

export async function freeTcpPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => resolve());
  });
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

function tcpPortIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * Ports for Redis Cluster nodes: each node also binds its bus on port + 10000, so both
 * must be free. Picked below the kernel's ephemeral range (32768+) so an outgoing
 * connection does not take one between this probe and the bind.
 */
export async function freeClusterPorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < count) {
    const port = 12_000 + Math.floor(Math.random() * 10_000);
    if (ports.includes(port) || !(await tcpPortIsFree(port)) || !(await tcpPortIsFree(port + 10_000))) continue;
    ports.push(port);
  }
  return ports;
}
