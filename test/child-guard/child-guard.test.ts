import { spawn } from 'node:child_process';
import test from 'ava';
import { patient } from '../../harness/patience.js';
import { REPO_ROOT } from '../../harness/paths.js';
import { until } from '../../harness/until.js';

// src/child-guard.ts: a child radgate starts (the embedded redis-server) never outlives
// it, even when radgate is killed with SIGKILL and runs no exit hook at all.

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A Node process that starts a guarded `sleep 600` and prints its pid, then idles. */
function guardedParent(): Promise<{ parent: ReturnType<typeof spawn>; childPid: number }> {
  const script = `
    import { spawn } from 'node:child_process';
    import { guardChild } from '${REPO_ROOT}dist/src/child-guard.js';
    const child = spawn('sleep', ['600'], { stdio: 'ignore' });
    guardChild(child);
    process.stdout.write(String(child.pid) + '\\n');
    setInterval(() => {}, 1000);
  `;
  const parent = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    parent.stdout!.once('data', (chunk: Buffer) => resolve({ parent, childPid: Number(chunk.toString().trim()) }));
    parent.once('exit', (code) => reject(new Error(`the parent exited first (code ${code})`)));
  });
}

test('a guarded child is stopped when its parent is SIGKILLed', async (t) => {
  const { parent, childPid } = await guardedParent();
  t.true(alive(childPid));
  parent.kill('SIGKILL');
  await until('the guarded child is gone', patient(5000), () => !alive(childPid));
  t.false(alive(childPid));
});

test('a guarded child is stopped when its parent exits normally (SIGTERM)', async (t) => {
  const { parent, childPid } = await guardedParent();
  parent.kill('SIGTERM');
  await until('the guarded child is gone', patient(5000), () => !alive(childPid));
  t.false(alive(childPid));
});
