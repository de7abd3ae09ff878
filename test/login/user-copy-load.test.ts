import test from 'ava';
import { UserCopies } from '../../src/login/user-copies.js';
import { UserCopySync } from '../../src/login/user-copy-sync.js';
import { patient } from '../../harness/patience.js';
import { OPERATOR, startStack, type Stack } from '../../harness/stack.js';
import { until } from '../../harness/until.js';

// Loading every user's copy at start (login/user-copy-sync.ts) on a Redis that stops
// answering part-way: the page that failed is copied again once Redis is back, so no user
// is left without a copy (its logins would be one round trip slower than an unknown name's).
// A Redis of its own: this file freezes it.

let stack: Stack;

test.before(async () => {
  stack = await startStack({});
});

test.after.always(async () => {
  await stack.close();
});

test.serial('a page that times out is copied again once Redis answers, until every user has a copy', async (t) => {
  // More than one page (200 names); Redis is frozen as the load starts and thawed once a
  // page has failed.
  for (let i = 0; i < 450; i++) await stack.admin.service.addUser(`load${i}`, '4821', OPERATOR);
  const total = await stack.admin.store.repository.countUsers();
  const copies = new UserCopies({ maxUsers: total + 10, keyring: stack.admin.keyring });
  const sync = new UserCopySync({ copies, repository: stack.admin.store.repository, isStoreHealthy: () => true, logger: stack.logger, followIntervalMs: 60_000 });
  const retried = () => stack.lines.filter((line) => line.includes('could not copy a page of user records')).length;
  stack.redis.freeze();
  let loaded = false;
  try {
    void sync.loadAll().then(() => (loaded = true));
    await until('a failed page is logged', patient(10_000), () => retried() > 0);
  } finally {
    stack.redis.thaw();
  }
  await until('every user is copied', patient(30_000), () => loaded);
  t.is(copies.size, total);
  t.true(stack.lines.some((line) => line.includes('user records loaded')));
  t.false(stack.lines.some((line) => /"level":50/.test(line) && line.includes('user records')), 'no error line about the copies');
  sync.stop();
});

test.serial('stop() ends a load that is waiting to try a page again', async (t) => {
  const copies = new UserCopies({ maxUsers: 1_000_000, keyring: stack.admin.keyring });
  const sync = new UserCopySync({ copies, repository: stack.admin.store.repository, isStoreHealthy: () => true, logger: stack.logger, followIntervalMs: 60_000 });
  const before = stack.lines.length;
  stack.redis.freeze();
  try {
    const loading = sync.loadAll();
    await until('a failed page is logged', patient(10_000), () => stack.lines.slice(before).some((line) => line.includes('could not copy a page of user records')));
    sync.stop();
    await loading;
    t.false(stack.lines.slice(before).some((line) => line.includes('user records loaded')), 'ended without claiming to have loaded');
  } finally {
    stack.redis.thaw();
  }
});
