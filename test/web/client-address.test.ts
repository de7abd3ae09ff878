import test from 'ava';
import { sourceKeyOf } from '../../src/web/client-address.js';

// The key a per-source limit counts under (self-service form posts, console sign-in): one
// IPv6 host may use any address of its /64, so the /64 is the source.

test('IPv6 addresses of one /64 share a key; another /64 has its own', (t) => {
  const key = sourceKeyOf('2001:db8:1:2::1');
  t.is(key, '2001:db8:1:2::/64');
  for (const other of ['2001:db8:1:2::2', '2001:db8:1:2:ffff:ffff:ffff:fffe', '2001:0db8:0001:0002:0:0:0:9', '2001:db8:1:2::7%eth0']) t.is(sourceKeyOf(other), key, other);
  t.is(sourceKeyOf('2001:db8:1:3::1'), '2001:db8:1:3::/64');
  t.is(sourceKeyOf('::1'), '::/64');
});

test('IPv4 is the address itself, and an IPv4-mapped IPv6 address is the IPv4 client it is', (t) => {
  t.is(sourceKeyOf('192.0.2.7'), '192.0.2.7');
  t.not(sourceKeyOf('192.0.2.8'), sourceKeyOf('192.0.2.7'));
  t.is(sourceKeyOf('::ffff:192.0.2.7'), '192.0.2.7');
  t.is(sourceKeyOf('::FFFF:192.0.2.7'), '192.0.2.7');
});

test('what is no address (a closed socket\'s "unknown") is its own key', (t) => {
  t.is(sourceKeyOf('unknown'), 'unknown');
});
