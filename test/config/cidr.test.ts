import test from 'ava';
import { CidrError, cidrContains, formatCidr, formatIp, parseCidr } from '../../src/config/cidr.js';

const hex = (text: string): Buffer => Buffer.from(text.replace(/[^0-9a-f]/gi, ''), 'hex');

test('IPv4 networks and bare hosts', (t) => {
  t.deepEqual(parseCidr('10.0.0.0/24'), { family: 4, network: Buffer.from([10, 0, 0, 0]), prefixLength: 24 });
  t.deepEqual(parseCidr('192.0.2.7'), { family: 4, network: Buffer.from([192, 0, 2, 7]), prefixLength: 32 });
  t.deepEqual(parseCidr('0.0.0.0/0'), { family: 4, network: Buffer.alloc(4), prefixLength: 0 });
  t.deepEqual(parseCidr('10.0.0.128/25').network, Buffer.from([10, 0, 0, 128]));
});

test('IPv6 networks, compressed forms and embedded IPv4', (t) => {
  t.deepEqual(parseCidr('2001:db8::/32'), {
    family: 6,
    network: hex('2001 0db8 0000 0000 0000 0000 0000 0000'),
    prefixLength: 32,
  });
  t.deepEqual(parseCidr('::1').network, hex('0000 0000 0000 0000 0000 0000 0000 0001'));
  t.is(parseCidr('::1').prefixLength, 128);
  t.deepEqual(parseCidr('::').network, Buffer.alloc(16));
  t.deepEqual(parseCidr('1:2:3:4:5:6:7:8').network, hex('0001 0002 0003 0004 0005 0006 0007 0008'));
  t.deepEqual(parseCidr('fe80::1:2').network, hex('fe80 0000 0000 0000 0000 0000 0001 0002'));
  t.deepEqual(parseCidr('::ffff:192.0.2.1').network, hex('0000 0000 0000 0000 0000 ffff c000 0201'));
  t.deepEqual(parseCidr('::192.0.2.1').network, hex('0000 0000 0000 0000 0000 0000 c000 0201'));
  t.deepEqual(parseCidr('1:2:3:4:5:6:192.0.2.1').network, hex('0001 0002 0003 0004 0005 0006 c000 0201'));
  t.deepEqual(parseCidr('2001:DB8::/32').network, parseCidr('2001:db8::/32').network);
});

test('host bits set are refused with the network to write', (t) => {
  t.throws(() => parseCidr('10.0.0.1/24'), {
    instanceOf: CidrError,
    message: '"10.0.0.1/24" has host bits set; write 10.0.0.0/24',
  });
  t.throws(() => parseCidr('2001:db8::1/64'), { message: '"2001:db8::1/64" has host bits set; write 2001:db8::/64' });
  t.throws(() => parseCidr('10.0.0.129/25'), { message: /write 10\.0\.0\.128\/25$/ });
});

for (const text of ['', '/24', '10.0.0.0/', '10.0.0.0/33', '10.0.0.0/024', '10.0.0.0/+8', '10.0.0.0/24/1', '2001:db8::/129', '010.0.0.1', 'fe80::1%eth0', 'example.com', ' 10.0.0.1', '1::2::3']) {
  test(`refuses ${JSON.stringify(text)}`, (t) => {
    t.throws(() => parseCidr(text), { instanceOf: CidrError });
  });
}

test('formatIp follows RFC 5952', (t) => {
  t.is(formatIp(hex('2001 0db8 0000 0000 0000 0000 0000 0001')), '2001:db8::1');
  t.is(formatIp(hex('2001 0db8 0000 0001 0000 0000 0000 0001')), '2001:db8:0:1::1');
  t.is(formatIp(hex('2001 0db8 0000 0000 0001 0000 0000 0001')), '2001:db8::1:0:0:1');
  t.is(formatIp(hex('2001 0db8 0001 0001 0001 0001 0000 0001')), '2001:db8:1:1:1:1:0:1');
  t.is(formatIp(Buffer.alloc(16)), '::');
  t.is(formatIp(Buffer.from([192, 0, 2, 1])), '192.0.2.1');
  t.is(formatCidr(parseCidr('fe80::/10')), 'fe80::/10');
});

test('cidrContains matches addresses of the same family inside the network', (t) => {
  const v4 = parseCidr('10.1.0.0/16');
  t.true(cidrContains(v4, Buffer.from([10, 1, 255, 3])));
  t.false(cidrContains(v4, Buffer.from([10, 2, 0, 1])));
  t.false(cidrContains(v4, parseCidr('::a01:1').network));
  t.true(cidrContains(parseCidr('0.0.0.0/0'), Buffer.from([8, 8, 8, 8])));
  t.true(cidrContains(parseCidr('2001:db8::/32'), parseCidr('2001:db8:ffff::1').network));
});
