import test from 'ava';
import { ReplyCache, replyCacheKey } from '../../src/transport/reply-cache.js';

function cache(options: { ttlMs?: number; maxEntries?: number; pendingTtlMs?: number } = {}) {
  let now = 1_000_000;
  const replyCache = new ReplyCache({ ttlMs: options.ttlMs ?? 10_000, maxEntries: options.maxEntries ?? 100, pendingTtlMs: options.pendingTtlMs ?? 5_000, now: () => now });
  return { replyCache, advance: (ms: number) => (now += ms) };
}

const A = Buffer.alloc(16, 0xaa);
const B = Buffer.alloc(16, 0xbb);
const REPLY = Buffer.from('reply bytes');

test('new → in progress → retransmission with the cached bytes', (t) => {
  const { replyCache } = cache();
  const key = replyCacheKey('192.0.2.1', 1645, 7);
  t.deepEqual(replyCache.begin(key, A), { kind: 'new' });
  t.deepEqual(replyCache.begin(key, A), { kind: 'in-progress' });
  replyCache.complete(key, A, REPLY);
  t.deepEqual(replyCache.begin(key, A), { kind: 'retransmission', reply: REPLY });
});

test('the key separates address, port and Identifier', (t) => {
  const { replyCache } = cache();
  t.is(replyCache.begin(replyCacheKey('192.0.2.1', 1645, 7), A).kind, 'new');
  t.is(replyCache.begin(replyCacheKey('192.0.2.1', 1646, 7), A).kind, 'new');
  t.is(replyCache.begin(replyCacheKey('192.0.2.1', 1645, 8), A).kind, 'new');
  t.is(replyCache.begin(replyCacheKey('192.0.2.2', 1645, 7), A).kind, 'new');
  t.is(replyCache.size, 4);
});

test('a new authenticator with the same Identifier replaces the entry', (t) => {
  const { replyCache } = cache();
  const key = replyCacheKey('192.0.2.1', 1645, 7);
  replyCache.begin(key, A);
  replyCache.complete(key, A, REPLY);
  t.is(replyCache.begin(key, B).kind, 'new');
  // The late completion of the replaced request must not overwrite the new one.
  replyCache.complete(key, A, Buffer.from('stale'));
  t.is(replyCache.begin(key, B).kind, 'in-progress');
  t.is(replyCache.begin(key, A).kind, 'new');
  t.is(replyCache.size, 1);
});

test('cached replies expire after the TTL', (t) => {
  const { replyCache, advance } = cache({ ttlMs: 5_000 });
  const key = replyCacheKey('192.0.2.1', 1645, 7);
  replyCache.begin(key, A);
  replyCache.complete(key, A, REPLY);
  advance(4_999);
  t.is(replyCache.begin(key, A).kind, 'retransmission');
  advance(2);
  t.is(replyCache.begin(key, A).kind, 'new');
});

test('abandon forgets a request so its retry is evaluated again', (t) => {
  const { replyCache } = cache();
  const key = replyCacheKey('192.0.2.1', 1645, 7);
  replyCache.begin(key, A);
  replyCache.abandon(key, B); // Not ours: ignored.
  t.is(replyCache.begin(key, A).kind, 'in-progress');
  replyCache.abandon(key, A);
  t.is(replyCache.begin(key, A).kind, 'new');
});

test('the cache never holds more than maxEntries, dropping the oldest', (t) => {
  const { replyCache } = cache({ maxEntries: 10 });
  for (let identifier = 0; identifier < 256; identifier++) {
    const key = replyCacheKey('192.0.2.1', 1645, identifier);
    replyCache.begin(key, A);
    replyCache.complete(key, A, REPLY);
    t.true(replyCache.size <= 10);
  }
  t.is(replyCache.begin(replyCacheKey('192.0.2.1', 1645, 255), A).kind, 'retransmission');
  t.is(replyCache.begin(replyCacheKey('192.0.2.1', 1645, 0), A).kind, 'new');
});

test('expired entries are swept as new requests arrive', (t) => {
  const { replyCache, advance } = cache({ ttlMs: 1_000 });
  for (let identifier = 0; identifier < 50; identifier++) {
    const key = replyCacheKey('192.0.2.1', 1645, identifier);
    replyCache.begin(key, A);
    replyCache.complete(key, A, REPLY);
  }
  advance(2_000);
  replyCache.begin(replyCacheKey('192.0.2.9', 1645, 1), A);
  t.is(replyCache.size, 1);
});
