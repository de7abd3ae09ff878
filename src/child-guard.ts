import { spawn, type ChildProcess } from 'node:child_process';

/**
 * Child processes radgate starts (the embedded redis-server; in tests and benchmarks every
 * server) must never outlive the process that started them, whatever way it ends. A
 * normal exit or an exception runs the exit hook below, which sends SIGTERM. A SIGKILL
 * runs nothing, so each child also gets a tiny watchdog shell holding a pipe from us: when
 * our end closes, which the kernel does however we die, its `read` returns and it stops
 * the child (SIGTERM, then SIGKILL five seconds later).
 */

const guarded = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Synchronous by nature: SIGTERM now; the watchdogs follow up with SIGKILL.
  process.on('exit', () => {
    for (const child of guarded) child.kill('SIGTERM');
  });
}

/**
 * Guards a child that has started (it has a pid). Returns the function that retires the
 * guard once the child has been stopped normally; the guard also retires itself when the
 * child exits.
 */
export function guardChild(child: ChildProcess): () => void {
  const pid = child.pid;
  if (pid === undefined) return () => undefined;
  installExitHook();
  guarded.add(child);
  // The watchdog ignores the terminal's signals, so that a Ctrl-C reaching the whole
  // process group does not kill it before it has done its job. It signals the child only
  // while the pid still names the same process (its start time in /proc/PID/stat), so a
  // pid the kernel has since given to another process is left alone.
  const script = [
    `started() { sed 's/.*) //' /proc/${pid}/stat 2>/dev/null | cut -d' ' -f20; }`,
    'mine=$(started)',
    "trap '' INT TERM HUP",
    'read _',
    `[ -n "$mine" ] && [ "$(started)" = "$mine" ] && kill -TERM ${pid} 2>/dev/null`,
    'sleep 5',
    `[ -n "$mine" ] && [ "$(started)" = "$mine" ] && kill -KILL ${pid} 2>/dev/null`,
  ].join('\n');
  const watchdog = spawn('/bin/sh', ['-c', script], { stdio: ['pipe', 'ignore', 'ignore'] });
  // Neither the watchdog nor its pipe may keep our event loop alive.
  watchdog.unref();
  (watchdog.stdin as (NodeJS.WritableStream & { unref?: () => void }) | null)?.unref?.();
  watchdog.stdin?.on('error', () => undefined);
  const retire = (): void => {
    guarded.delete(child);
    if (watchdog.exitCode === null && watchdog.signalCode === null) watchdog.kill('SIGKILL');
  };
  child.once('exit', retire);
  return retire;
}
