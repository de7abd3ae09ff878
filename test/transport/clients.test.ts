import test from 'ava';
import { ClientTable } from '../../src/transport/clients.js';
import { testClient } from '../../harness/server.js';

const table = new ClientTable([
  testClient({ name: 'campus', address: '10.0.0.0/8' }),
  testClient({ name: 'vpn-pool', address: '10.1.0.0/16' }),
  testClient({ name: 'vpn-gw-1', address: '10.1.2.3' }),
  testClient({ name: 'v6-site', address: '2001:db8::/32' }),
  testClient({ name: 'v6-host', address: '2001:db8::10/128' }),
]);

test('most specific network wins, whatever the config order', (t) => {
  t.is(table.lookup('10.1.2.3')?.name, 'vpn-gw-1');
  t.is(table.lookup('10.1.2.4')?.name, 'vpn-pool');
  t.is(table.lookup('10.9.9.9')?.name, 'campus');
  t.is(table.lookup('2001:db8::10')?.name, 'v6-host');
  t.is(table.lookup('2001:db8:ffff::1')?.name, 'v6-site');
});

test('unknown addresses find no client', (t) => {
  t.is(table.lookup('192.0.2.1'), undefined);
  t.is(table.lookup('2001:db9::1'), undefined);
  t.is(table.lookup('::1'), undefined);
});

test('IPv4-mapped IPv6 sources match the IPv4 client', (t) => {
  t.is(table.lookup('::ffff:10.1.2.3')?.name, 'vpn-gw-1');
});

test('repeated lookups are stable (memoised) and unknowns stay unknown', (t) => {
  for (let i = 0; i < 3; i++) {
    t.is(table.lookup('10.1.2.3')?.name, 'vpn-gw-1');
    t.is(table.lookup('192.0.2.1'), undefined);
  }
});

test('a flood of distinct unknown sources does not grow the memo without bound', (t) => {
  const flooded = new ClientTable([testClient({ address: '127.0.0.1' })]);
  for (let i = 0; i < 10_000; i++) flooded.lookup(`198.51.${(i >> 8) & 255}.${i & 255}`);
  t.is(flooded.lookup('127.0.0.1')?.name, 'test-nas');
  t.is((flooded as unknown as { cache: Map<string, unknown> }).cache.size <= 4096, true);
});
