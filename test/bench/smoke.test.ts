import test from 'ava';
import { runSmoke } from '../../bench/smoke.js';

// The end-to-end bench's smoke run: a real radgate process on a private redis-server (and
// FreeRADIUS when installed), every bench scenario, a few thousand requests in all. It
// checks the bench and the gateway together — every reply verified, exact Accept /
// Reject / Challenge counts, no timeouts — and never a timing: those live in
// `npm run bench:e2e`.
test('bench smoke: every scenario gets exactly the expected replies, with no timeouts', async (t) => {
  t.timeout(60_000);
  const checks = await runSmoke({ requests: 300, log: (line) => t.log(line) });
  t.true(checks.length >= 7, 'every radgate scenario ran');
  for (const check of checks) {
    t.deepEqual(check.problems, [], `${check.server} ${check.scenario}`);
    t.is(check.result.timeout, 0);
    t.is(check.result.accept, check.expected.accept);
    t.is(check.result.reject, check.expected.reject);
    t.is(check.result.challenge, check.expected.challenge);
  }
  const total = checks.reduce((sum, check) => sum + check.result.sent, 0);
  t.true(total >= 2000, `a few thousand requests (${total})`);
});
