import { createConnection, type NetConnectOpts } from 'node:net';

const PROBE_TIMEOUT_MS = 1_000;

export type Probe =
  | { readonly kind: 'ready'; readonly processId: number | undefined; readonly detail: string }
  | { readonly kind: 'not-ready'; readonly detail: string };

/**
 * Asks whoever listens at `address` whether it is a Redis ready for commands, in raw RESP
 * so that starting a server depends on nothing but the socket: inline `PING` then
 * `INFO server`, the latter to learn which process answered. -LOADING (replaying the AOF)
 * means not ready yet; -NOAUTH (a password set through extra arguments) means up, but
 * unable to tell whose server it is.
 */
export function probeServer(address: NetConnectOpts): Promise<Probe> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (probe: Probe) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(probe);
    };
    const socket = createConnection(address);
    socket.setTimeout(PROBE_TIMEOUT_MS, () => finish({ kind: 'not-ready', detail: 'no reply' }));
    socket.once('error', (error: NodeJS.ErrnoException) => finish({ kind: 'not-ready', detail: error.code ?? error.message }));
    socket.once('connect', () => socket.write('PING\r\nINFO server\r\n'));
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      // latin1 keeps one character per byte, so RESP lengths index the string directly.
      const text = Buffer.concat(chunks).toString('latin1');
      const firstEnd = text.indexOf('\r\n');
      if (firstEnd === -1) return;
      const first = text.slice(0, firstEnd);
      if (first.startsWith('-NOAUTH')) return finish({ kind: 'ready', processId: undefined, detail: first });
      if (first !== '+PONG') return finish({ kind: 'not-ready', detail: first });
      const info = readBulkString(text, firstEnd + 2);
      if (info === 'incomplete') return;
      const match = info === undefined ? null : /^process_id:(\d+)/m.exec(info);
      finish({ kind: 'ready', processId: match === null ? undefined : Number(match[1]), detail: first });
    });
    socket.once('end', () => finish({ kind: 'not-ready', detail: 'connection closed' }));
  });
}

/**
 * True when a Redis server answers on this unix socket: how a CLI command joins the
 * embedded server a running `radgate serve` owns, instead of starting another.
 */
export async function redisAnswersOn(path: string): Promise<boolean> {
  return (await probeServer({ path })).kind === 'ready';
}

/** A RESP bulk string at `offset`; undefined if the reply is something else (e.g. an error). */
function readBulkString(text: string, offset: number): string | undefined | 'incomplete' {
  const headerEnd = text.indexOf('\r\n', offset);
  if (headerEnd === -1) return 'incomplete';
  if (text[offset] !== '$') return undefined;
  const length = Number(text.slice(offset + 1, headerEnd));
  const start = headerEnd + 2;
  if (text.length < start + length) return 'incomplete';
  return text.slice(start, start + length);
}
