import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import test from 'ava';
import { guardChild } from '../../src/child-guard.js';
import { REPO_ROOT } from '../../harness/paths.js';

// The end-to-end bench's smoke run, as `npm run bench:smoke` runs it (a subprocess: tests
// never import the bench): a real radgate process on a private redis-server (and FreeRADIUS
// when installed), every bench scenario, a few thousand requests in all. It checks the
// bench and the gateway together (every reply verified, exact Accept / Reject / Challenge
// counts, no timeouts) and never a timing: those live in `npm run bench:e2e`.

interface Check {
  readonly scenario: string;
  readonly server: string;
  readonly expected: { readonly accept: number; readonly reject: number; readonly challenge: number };
  readonly result: { readonly sent: number; readonly accept: number; readonly reject: number; readonly challenge: number; readonly timeout: number };
  readonly problems: readonly string[];
}

function runSmoke(requests: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [`${REPO_ROOT}dist/bench/e2e.js`, '--smoke', '--json'], { cwd: REPO_ROOT, env: { ...process.env, BENCH_SMOKE_REQUESTS: String(requests) } });
    guardChild(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('bench smoke: every scenario gets exactly the expected replies, with no timeouts', async (t) => {
  const { code, stdout, stderr } = await runSmoke(300);
  t.log(stderr.trim());
  const checks = JSON.parse(stdout) as Check[];
  t.true(checks.length >= 7, 'every radgate scenario ran');
  for (const check of checks) {
    t.deepEqual(check.problems, [], `${check.server} ${check.scenario}`);
    t.is(check.result.timeout, 0);
    t.is(check.result.accept, check.expected.accept);
    t.is(check.result.reject, check.expected.reject);
    t.is(check.result.challenge, check.expected.challenge);
  }
  // With FreeRADIUS and Debian's rlm_redis installed, the same-job peer is checked too
  // (accept, reject, unknown user, each with exactly one HGET per request; Status-Server).
  if (checks.some((check) => check.server === 'FreeRADIUS') && existsSync('/usr/lib/freeradius/rlm_redis.so')) {
    t.is(checks.filter((check) => check.server === 'FreeRADIUS + rlm_redis').length, 4, 'FreeRADIUS + rlm_redis ran');
  }
  const total = checks.reduce((sum, check) => sum + check.result.sent, 0);
  t.true(total >= 2000, `a few thousand requests (${total})`);
  t.is(code, 0);
});
