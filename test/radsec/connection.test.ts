import { EventEmitter } from 'node:events';
import type { TLSSocket } from 'node:tls';
import test from 'ava';
import type { RadsecClientConfig } from '../../src/config/types.js';
import { RadsecConnection } from '../../src/transport/radsec-connection.js';
import type { PacketSource, ReplyRoute, RequestPipeline } from '../../src/transport/request-pipeline.js';
import type { TransportConfig } from '../../src/transport/request-handler.js';
import { statusServer } from '../../harness/packets.js';
import { patient } from '../../harness/patience.js';

// One connection's writing and stopping, against a socket that behaves as a peer that never
// reads and never closes: Node's own TLS socket cannot be made to misbehave that way.

class StuckSocket extends EventEmitter {
  destroyed = false;
  writable = true;
  ended = false;
  remoteAddress = '192.0.2.1';
  remotePort = 40000;
  setNoDelay(): void {}
  setTimeout(): void {}
  pause(): void {}
  resume(): void {}
  /** The peer reads nothing: every write is buffered. */
  write(): boolean {
    return false;
  }
  end(): void {
    this.ended = true;
  }
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    setImmediate(() => this.emit('close'));
  }
}

function connection(socket: StuckSocket, endGraceMs: number): RadsecConnection<TransportConfig> {
  // Answers every packet at once, as the reply cache answers a retransmission.
  const pipeline = { admit: (...args: unknown[]) => void (args[5] as ReplyRoute).send(Buffer.alloc(20), args[3] as PacketSource) } as unknown as RequestPipeline<TransportConfig>;
  return new RadsecConnection({
    socket: socket as unknown as TLSSocket,
    client: { radius: { name: 'peer' } } as unknown as RadsecClientConfig,
    pipeline,
    handler: {},
    served: () => ({}) as never,
    idleTimeoutMs: 60_000,
    partialPacketTimeoutMs: 60_000,
    endGraceMs,
    replyCacheTtlMs: 1000,
    pendingTtlMs: 1000,
    count: () => undefined,
    closed: () => undefined,
  });
}

test('a peer that stops reading: one drain listener, however many replies are refused', (t) => {
  const socket = new StuckSocket();
  connection(socket, 1000);
  for (let identifier = 0; identifier < 50; identifier++) socket.emit('data', statusServer({ identifier }));
  t.is(socket.listenerCount('drain'), 1);
});

test('a stop ends the connection, and destroys it when the peer never closes its side', async (t) => {
  const socket = new StuckSocket();
  const stopping = connection(socket, 50).drain();
  t.true(socket.ended);
  await Promise.race([stopping, new Promise((resolve) => setTimeout(resolve, patient(2000)))]);
  t.true(socket.destroyed, 'destroyed after the grace');
});
