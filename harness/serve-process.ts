/**
 * `radgate serve` as a subprocess (the built command, as an admin runs it), for the tests
 * and scripts that need its own memory, its own signals and its exit code, and for the
 * benchmark, which reads its CPU apart from the load generator's.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { PacketCode } from '../src/protocol/codes.js';
import { openNas } from './nas.js';
import { RADGATE_BIN, REPO_ROOT } from './paths.js';
import { patient } from './patience.js';
import { startServerProcess, type ServerProcess } from './processes.js';

export interface ServeProcess {
  readonly process: ServerProcess;
  readonly pid: number;
  /** The RADIUS port (every worker binds the same one). */
  readonly port: number;
  /** The ops listener's port (/metrics, /health, /ready), once `serve` logged it; undefined when `ops.listen` is off. */
  readonly opsPort: number | undefined;
  /** The helpdesk console's HTTPS port, once `serve` logged it; undefined without a console section. */
  readonly consolePort: number | undefined;
  /** The self-service pages' HTTPS port, once `serve` logged it; undefined without a self_service section. */
  readonly selfServicePort: number | undefined;
  /** Every line printed so far (stdout and stderr), unless `keepLines` was false. */
  readonly lines: string[];
  /** Resolves with the exit code once the process has exited. */
  readonly exited: Promise<number | null>;
  /** Called with each output line, parsed when it is JSON (pino). */
  onLine(listener: (line: string, json: Record<string, unknown> | undefined) => void): void;
  /** How many JSON lines printed so far match (needs `keepLines`). */
  countLogged(matches: (json: Record<string, unknown>) => boolean): number;
  /**
   * Resolves once `count` JSON lines, counted from the start (needs `keepLines`), match;
   * rejects after `timeoutMs` naming `what`. The gateway's own word that it has done
   * something: a decision taken, the store back.
   */
  logged(what: string, matches: (json: Record<string, unknown>) => boolean, count: number, timeoutMs: number): Promise<void>;
  /** The process and its children (cluster workers). */
  pids(): number[];
  /** Resident memory of the process and its children, in bytes. */
  rssBytes(): number;
  /** Sends the signal (SIGTERM) and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface ServeProcessOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Keep every output line in `lines` (default true; the soak turns it off). */
  readonly keepLines?: boolean;
  /** Node options before the script (`--cpu-prof`, …). */
  readonly nodeArgs?: readonly string[];
  /** More `serve` options (`--demo`). */
  readonly serveArgs?: readonly string[];
  /**
   * Write the output to this file instead of reading it here (the benchmark: a gateway
   * logging a line per request then costs the load generator nothing).
   */
  readonly logFile?: string;
  /**
   * For a gateway whose log level hides its "ready" line (the benchmark's is warn): it is
   * ready once this many processes run (1, or the primary and its workers) and one of them
   * answers Status-Server on this port.
   */
  readonly readyWhen?: { readonly port: number; readonly processes: number };
  readonly cwd?: string;
}

function countMatching(lines: readonly string[], matches: (json: Record<string, unknown>) => boolean): number {
  let count = 0;
  for (const line of lines) {
    const json = parseJson(line);
    if (json !== undefined && matches(json)) count++;
  }
  return count;
}

function parseJson(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** Starts `radgate serve --config PATH` and resolves once it logs "ready", with its RADIUS port. */
export function startServeProcess(configPath: string, options: ServeProcessOptions = {}): Promise<ServeProcess> {
  const lines: string[] = [];
  const listeners: ((line: string, json: Record<string, unknown> | undefined) => void)[] = [];
  const keep = options.keepLines ?? true;
  let port: number | undefined;
  let opsPort: number | undefined;
  let consolePort: number | undefined;
  let selfServicePort: number | undefined;
  let ready: (() => void) | undefined;
  const onLine = (line: string): void => {
    if (keep) lines.push(line);
    const json = parseJson(line);
    for (const listener of listeners) listener(line, json);
    if (json?.msg === 'listening for RADIUS') port ??= json.port as number;
    if (json?.msg === 'listening for operations') opsPort ??= json.port as number;
    if (json?.msg === 'listening for the helpdesk console (HTTPS)') consolePort ??= json.port as number;
    if (json?.msg === 'listening for self-service (HTTPS)') selfServicePort ??= json.port as number;
    // Workers log from their own processes, buffered: their "listening" lines may come
    // after the primary's "ready", which carries the bound addresses itself.
    if (json?.msg === 'ready') {
      port ??= (json.listen as { port: number }[] | undefined)?.[0]?.port;
      ready?.();
    }
  };
  const server = startServerProcess(process.execPath, [...(options.nodeArgs ?? []), RADGATE_BIN, 'serve', '--config', configPath, ...(options.serveArgs ?? [])], {
    env: { ...process.env, ...options.env },
    cwd: options.cwd ?? REPO_ROOT,
    ...(options.logFile === undefined ? { onLine } : { logFile: options.logFile }),
  });
  const readyWhen = options.readyWhen;
  if (readyWhen !== undefined) {
    let probing = false;
    const poll = setInterval(() => {
      if (probing || processTree(server.pid).length < readyWhen.processes) return;
      probing = true;
      void answersStatusServer(readyWhen.port)
        .then((answered) => {
          if (!answered) return;
          clearInterval(poll);
          port = readyWhen.port;
          ready?.();
        })
        .finally(() => (probing = false));
    }, 50);
    void server.exited.then(() => clearInterval(poll));
  }
  return new Promise((resolve, reject) => {
    const failed = (why: string): Error => new Error(`radgate serve ${why}:\n${server.output().join('\n')}`);
    const timer = setTimeout(() => {
      void server.stop('SIGKILL');
      reject(failed(`did not start within ${patient(5000)} ms`));
    }, patient(5000));
    void server.exited.then((code) => {
      clearTimeout(timer);
      reject(failed(`exited during start-up (code ${code})`));
    });
    ready = () => {
      if (port === undefined) return;
      clearTimeout(timer);
      resolve({
        process: server,
        pid: server.pid,
        port,
        opsPort,
        consolePort,
        selfServicePort,
        lines,
        exited: server.exited,
        onLine: (listener) => listeners.push(listener),
        countLogged: (matches) => countMatching(lines, matches),
        logged: (what, matches, count, timeoutMs) =>
          new Promise<void>((resolve, reject) => {
            let seen = countMatching(lines, matches);
            if (seen >= count) return resolve();
            const stopListening = (): void => void listeners.splice(listeners.indexOf(listener), 1);
            const timer = setTimeout(() => {
              stopListening();
              reject(new Error(`${what}: ${seen} of ${count} lines after ${timeoutMs} ms`));
            }, timeoutMs);
            const listener = (_line: string, json: Record<string, unknown> | undefined): void => {
              if (json === undefined || !matches(json) || ++seen < count) return;
              clearTimeout(timer);
              stopListening();
              resolve();
            };
            listeners.push(listener);
          }),
        pids: () => processTree(server.pid),
        rssBytes: () => processTree(server.pid).reduce((total, pid) => total + rssBytes(pid), 0),
        stop: (signal = 'SIGTERM') => server.stop(signal),
      });
    };
  });
}

async function answersStatusServer(port: number): Promise<boolean> {
  const nas = await openNas({ port, retransmitMs: 250, transmissions: 1, quarantineMs: 0 });
  try {
    return (await nas.statusServer()).reply?.code === PacketCode.AccessAccept;
  } finally {
    await nas.close();
  }
}

/** `pid` and all its descendants, from /proc (Linux). */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // Exited since it was listed.
    }
  }
  const tree: number[] = [];
  const pending = [pid];
  while (pending.length > 0) {
    const next = pending.pop()!;
    tree.push(next);
    pending.push(...(children.get(next) ?? []));
  }
  return tree;
}

/** VmRSS of one process in bytes (0 once it has exited). */
export function rssBytes(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match === null ? 0 : Number(match[1]) * 1024;
  } catch {
    return 0;
  }
}
