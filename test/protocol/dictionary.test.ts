import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import {
  decodeValue,
  decryptTunnelPassword,
  DictionaryError,
  describeAttributes,
  encodeAttribute,
  loadDictionary,
  randomAuthenticator,
  RadiusErrorCode,
} from '../../src/protocol/index.js';
import { projectDictionary } from '../../harness/server.js';

/** Writes files into a fresh directory and loads its `dictionary`. */
function load(files: Record<string, string>) {
  const directory = mkdtempSync(join(tmpdir(), 'radgate-dict-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(directory, name), text);
  return { directory, dictionary: () => loadDictionary(directory) };
}

const BASE = `
# a small dictionary exercising every construct the loader supports
ATTRIBUTE User-Name 1 string
ATTRIBUTE User-Password 2 string encrypt=1
ATTRIBUTE Service-Type 6 integer
VALUE Service-Type Login-User 1
VALUE Service-Type Framed-User 2
ATTRIBUTE Framed-IP-Address 8 ipaddr
ATTRIBUTE Vendor-Specific 26 vsa
ATTRIBUTE Event-Timestamp 55 date
ATTRIBUTE Tunnel-Type 64 integer has_tag
VALUE Tunnel-Type L2TP 3
ATTRIBUTE Tunnel-Password 69 string has_tag,encrypt=2
ATTRIBUTE Tunnel-Private-Group-Id 81 string has_tag
ATTRIBUTE EAP-Message 79 octets concat
ATTRIBUTE Framed-IPv6-Prefix 97 ipv6prefix
ATTRIBUTE Framed-Interface-Id 96 ifid
ATTRIBUTE NAS-IPv6-Address 95 ipv6addr
$INCLUDE vendors/dictionary.acme
`;
const ACME = `
VENDOR Acme 99999
VENDOR Wide 88888 format=2,2
BEGIN-VENDOR Acme
ATTRIBUTE Acme-Group 1 string
ATTRIBUTE Acme-Octets 2 octets
ATTRIBUTE Acme-Counter 3 integer64
ATTRIBUTE Acme-Small 4 byte
ATTRIBUTE Acme-Medium 5 short
END-VENDOR Acme
BEGIN-VENDOR Wide
ATTRIBUTE Wide-Role 300 string
END-VENDOR Wide
`;


test('loads every construct: VENDOR with format, BEGIN/END-VENDOR, $INCLUDE, VALUE, flags', (t) => {
  const { directory } = load({ dictionary: BASE });
  mkdirSync(join(directory, 'vendors'));
  writeFileSync(join(directory, 'vendors', 'dictionary.acme'), ACME);
  const dictionary = loadDictionary(directory);
  t.is(dictionary.attributeByName('tunnel-password')?.encrypt, 2);
  t.true(dictionary.attributeByName('Tunnel-Type')!.hasTag);
  t.true(dictionary.attributeByName('EAP-Message')!.concat);
  t.is(dictionary.attributeByName('Service-Type')!.valuesByName.get('framed-user'), 2);
  t.is(dictionary.attribute(99999, 1)?.name, 'Acme-Group');
  t.deepEqual(dictionary.vendorByName('Wide'), { name: 'Wide', id: 88888, typeOctets: 2, lengthOctets: 2 });
  t.is(dictionary.attributeByName('Wide-Role')?.type, 300);

  // Vendor attributes are wrapped in Vendor-Specific with the vendor's field widths.
  const narrow = encodeAttribute(dictionary, { name: 'Acme-Group', value: 'vpn-emergency' });
  t.is(narrow.type, 26);
  t.is(narrow.value.toString('hex'), `0001869f010f${Buffer.from('vpn-emergency').toString('hex')}`);
  const wide = encodeAttribute(dictionary, { name: 'Wide-Role', value: 'ops' });
  t.is(wide.value.toString('hex'), `00015b38012c0007${Buffer.from('ops').toString('hex')}`);

  // Tags: integer tag replaces the high octet; string tag is prepended (RFC 2868 §3).
  t.is(encodeAttribute(dictionary, { name: 'Tunnel-Type', value: 'L2TP', tag: 1 }).value.toString('hex'), '01000003');
  t.is(encodeAttribute(dictionary, { name: 'Tunnel-Private-Group-Id', value: '42', tag: 2 }).value.toString('hex'), '023432');
  t.throws(() => encodeAttribute(dictionary, { name: 'User-Name', value: 'x', tag: 1 }), { code: RadiusErrorCode.EncodeInvalid });

  // Tunnel-Password: tag octet, then salt and ciphertext keyed on the request authenticator.
  const context = { secret: Buffer.from('s3cret-s3cret-s3cret'), requestAuthenticator: randomAuthenticator() };
  const tunnel = encodeAttribute(dictionary, { name: 'Tunnel-Password', value: 'hunter2', tag: 1 }, context);
  t.is(tunnel.value[0], 1);
  t.is(decryptTunnelPassword(tunnel.value.subarray(1), context.secret, context.requestAuthenticator).toString(), 'hunter2');
  t.throws(() => encodeAttribute(dictionary, { name: 'Tunnel-Password', value: 'x' }), { code: RadiusErrorCode.EncodeInvalid });

  // Each value type encodes and decodes back.
  const roundTrips: [string, string | number | bigint][] = [
    ['Framed-IP-Address', '192.0.2.7'],
    ['NAS-IPv6-Address', '2001:db8::1'],
    ['Framed-IPv6-Prefix', '2001:db8:a::/48'],
    ['Framed-Interface-Id', '0000:0000:0000:0001'],
    ['Event-Timestamp', 1_700_000_000],
    ['Acme-Counter', 2n ** 40n],
    ['Acme-Small', 200],
    ['Acme-Medium', 60000],
    ['Service-Type', 'Framed-User'],
  ];
  for (const [name, value] of roundTrips) {
    const definition = dictionary.attributeByName(name)!;
    const raw = encodeAttribute(dictionary, { name, value });
    const payload = definition.vendorId === 0 ? raw.value : raw.value.subarray(6);
    t.deepEqual(decodeValue(definition, payload), value, name);
  }
  t.throws(() => encodeAttribute(dictionary, { name: 'Framed-IP-Address', value: '300.1.1.1' }), { code: RadiusErrorCode.EncodeInvalid });
  t.throws(() => encodeAttribute(dictionary, { name: 'Service-Type', value: 'No-Such-Value' }), { code: RadiusErrorCode.EncodeInvalid });
  t.throws(() => encodeAttribute(dictionary, { name: 'Not-An-Attribute', value: 'x' }), { code: RadiusErrorCode.EncodeInvalid });
});

function refuses(name: string, files: Record<string, string>, file: string, line: number | undefined, message: RegExp): void {
  test(`a malformed dictionary fails with file and line: ${name}`, (t) => {
    const { directory, dictionary } = load(files);
    const error = t.throws(dictionary, { instanceOf: DictionaryError });
    t.is(error?.code, RadiusErrorCode.Dictionary);
    t.is(error?.file, join(directory, file));
    t.is(error?.line, line);
    t.regex(error!.message, message);
    if (line !== undefined) t.true(error!.message.startsWith(`${join(directory, file)}:${line}:`));
  });
}

refuses('unknown keyword', { dictionary: 'ATTRIBUTE A 1 string\nATTRIBUT B 2 string\n' }, 'dictionary', 2, /unknown keyword/);
refuses('unknown type', { dictionary: '\n\nATTRIBUTE A 1 tlv\n' }, 'dictionary', 3, /unknown type "tlv"/);
refuses('attribute number out of range', { dictionary: 'ATTRIBUTE A 256 string\n' }, 'dictionary', 1, /between 0 and 255/);
refuses('attribute number 0', { dictionary: 'ATTRIBUTE A 0 string\n' }, 'dictionary', 1, /reserved/);
refuses('unsupported flag', { dictionary: 'ATTRIBUTE A 1 string encrypt=3\n' }, 'dictionary', 1, /unsupported flag/);
refuses('VALUE for an unknown attribute', { dictionary: 'VALUE Nope One 1\n' }, 'dictionary', 1, /unknown attribute Nope/);
refuses('redefinition with another number', { dictionary: 'ATTRIBUTE A 1 string\nATTRIBUTE A 2 string\n' }, 'dictionary', 2, /redefined/);
refuses('BEGIN-VENDOR for an unknown vendor', { dictionary: 'BEGIN-VENDOR Ghost\n' }, 'dictionary', 1, /unknown vendor/);
refuses('unclosed BEGIN-VENDOR', { dictionary: 'VENDOR V 9\nBEGIN-VENDOR V\nATTRIBUTE V-A 1 string\n' }, 'dictionary', 4, /never closed/);
refuses('bad vendor format', { dictionary: 'VENDOR V 9 format=3,1\n' }, 'dictionary', 1, /invalid vendor format/);
refuses('missing include', { dictionary: '# header\n$INCLUDE dictionary.missing\n' }, 'dictionary', 2, /cannot read .*dictionary\.missing: ENOENT/);
refuses('include loop', { dictionary: '$INCLUDE dictionary.a\n', 'dictionary.a': '$INCLUDE dictionary\n' }, 'dictionary.a', 1, /\$INCLUDE loop/);
refuses('error inside an included file', { dictionary: '$INCLUDE dictionary.b\n', 'dictionary.b': 'ATTRIBUTE ok 1 string\nATTRIBUTE bad name 2 string\n' }, 'dictionary.b', 2, /attribute number "name" is not a number/);

test('a missing top-level dictionary says which file', (t) => {
  const directory = mkdtempSync(join(tmpdir(), 'radgate-dict-'));
  const error = t.throws(() => loadDictionary(directory), { instanceOf: DictionaryError });
  t.regex(error!.message, /cannot read .*dictionary: ENOENT/);
});

test('the shipped dictionaries load and cover the RFCs and VPN vendors', (t) => {
  const dictionary = projectDictionary();
  const expectations: [string, number, number][] = [
    ['User-Name', 0, 1],
    ['Session-Timeout', 0, 27],
    ['Class', 0, 25],
    ['Filter-Id', 0, 11],
    ['Acct-Status-Type', 0, 40],
    ['Tunnel-Password', 0, 69],
    ['Message-Authenticator', 0, 80],
    ['Framed-IPv6-Prefix', 0, 97],
    ['Delegated-IPv6-Prefix', 0, 123],
    ['Framed-IPv6-Address', 0, 168],
    ['Cisco-AVPair', 9, 1],
    ['MS-MPPE-Send-Key', 311, 16],
    ['Fortinet-Group-Name', 12356, 1],
    ['PaloAlto-User-Group', 25461, 5],
    ['Juniper-Local-User-Name', 2636, 1],
    ['Aruba-User-Role', 14823, 1],
  ];
  for (const [name, vendorId, type] of expectations) {
    const definition = dictionary.attributeByName(name);
    t.truthy(definition, name);
    t.is(definition?.vendorId, vendorId, name);
    t.is(definition?.type, type, name);
  }
  t.is(dictionary.attributeByName('Tunnel-Password')?.encrypt, 2);
  t.true(dictionary.attributeByName('Tunnel-Type')!.hasTag);
});

test('describeAttributes names attributes and never shows a password', (t) => {
  const dictionary = projectDictionary();
  const secret = Buffer.from('describe-secret-0123');
  const authenticator = randomAuthenticator();
  const attributes = [
    encodeAttribute(dictionary, { name: 'User-Name', value: 'alice' }),
    encodeAttribute(dictionary, { name: 'User-Password', value: 'SuperSecret42' }, { secret, requestAuthenticator: authenticator }),
    encodeAttribute(dictionary, { name: 'Fortinet-Group-Name', value: 'vpn-users' }),
    encodeAttribute(dictionary, { name: 'NAS-Port', value: 4 }),
    { type: 24, value: Buffer.from('opaque-state-value') },
    { type: 240, value: Buffer.from([1, 2]) },
  ];
  const described = describeAttributes(dictionary, attributes);
  t.deepEqual(described[0], ['User-Name', 'alice']);
  t.deepEqual(described[1], ['User-Password', '[redacted 16 octets]']);
  t.deepEqual(described[2], ['Fortinet-Group-Name', 'vpn-users']);
  t.deepEqual(described[3], ['NAS-Port', 4]);
  t.deepEqual(described[4], ['State', '[redacted 18 octets]']);
  t.deepEqual(described[5], ['Attr-240', '0x0102']);
  t.false(JSON.stringify(described).includes('SuperSecret42'));
  t.false(JSON.stringify(described).includes('opaque-state-value'));
});

test('encoding refuses what cannot be sent, with a typed error, never a RangeError', (t) => {
  const dictionary = projectDictionary();
  const refuse = (name: string, value: Parameters<typeof encodeAttribute>[1]['value']) =>
    t.throws(() => encodeAttribute(dictionary, { name, value }), { code: RadiusErrorCode.EncodeInvalid }, `${name} ${String(value)}`);
  refuse('Cisco-AVPair', 'x'.repeat(300));
  refuse('Event-Timestamp', new Date('1960-01-01T00:00:00Z'));
  refuse('Event-Timestamp', new Date('2200-01-01T00:00:00Z'));
  refuse('Event-Timestamp', new Date('nope'));
  t.is(encodeAttribute(dictionary, { name: 'Cisco-AVPair', value: 'x'.repeat(247) }).value.length, 253);
});

test('vendor attribute numbers never collide across vendors (format=4,0 types above 65535)', (t) => {
  const { dictionary } = load({
    dictionary: 'VENDOR Big 429 format=4,0\nVENDOR Small 430\nBEGIN-VENDOR Big\nATTRIBUTE A-Big 65537 string\nEND-VENDOR Big\nBEGIN-VENDOR Small\nATTRIBUTE B-One 1 string\nEND-VENDOR Small\n',
  });
  const loaded = dictionary();
  t.is(loaded.attribute(430, 1)?.name, 'B-One');
  t.is(loaded.attribute(429, 65537)?.name, 'A-Big');
  t.deepEqual(describeAttributes(loaded, [{ type: 26, value: Buffer.from('000001ae010378', 'hex') }])[0]?.[0], 'B-One');
});

test('the log view shows tags and a vendor-specific attribute with no sub-attribute', (t) => {
  const dictionary = projectDictionary();
  const described = describeAttributes(dictionary, [
    encodeAttribute(dictionary, { name: 'Tunnel-Type', value: 'VLAN', tag: 1 }),
    encodeAttribute(dictionary, { name: 'Tunnel-Private-Group-Id', value: '10', tag: 1 }),
    { type: 26, value: Buffer.from('00000009', 'hex') },
  ]);
  t.deepEqual(described, [
    ['Tunnel-Type', 'VLAN (tag 1)'],
    ['Tunnel-Private-Group-Id', '10 (tag 1)'],
    ['Cisco-Attr-malformed', '0 octets'],
  ]);
});
