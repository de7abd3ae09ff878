// Over 400 lines: the interoperability catalogue against one independent implementation, one case each, read best in one place.
/**
 * Interoperability with an independent implementation: the npm `radius` package (1.1.4).
 * What it encodes we must decode to the same values, and what we encode it must decode to
 * the same values — including the hidden User-Password (RFC 2865 §5.2), the Response
 * Authenticator (RFC 2865 §3), the Accounting-Request Authenticator (RFC 2866 §3) and the
 * Message-Authenticator (RFC 3579 §3.2) wherever it sits in the packet.
 *
 * The radius package is used only as an encoder and decoder, never as a judge that
 * something is wrong: it compares HMACs and digests as UTF-8 strings, so its
 * Message-Authenticator check cannot be trusted to reject. It has one encoder quirk to
 * steer around: after a tagged attribute (`[name, tag, value]`) its `has_tag` variable
 * leaks into the next Buffer-valued attribute, corrupting it — and the Message-Authenticator
 * it appends is one. So packets the radius package encodes here carry no tagged attribute;
 * tags are checked in the other direction (our reply, its decoder).
 *
 * Its vendor attributes are declared in a dictionary written below from RFC 2548 and the
 * vendors' own documents, not from the dictionaries/ folder: if a number in our
 * dictionaries were wrong, these tests would disagree.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import radius from 'radius';
import {
  AttributeType,
  checkRequestAuthenticity,
  decodePacket,
  describeAttributes,
  encodeAttribute,
  encodeReply,
  encodeRequest,
  findAttribute,
  hideUserPassword,
  loadDictionary,
  PacketCode,
  RadiusErrorCode,
  unhideUserPassword,
  verifyAccountingRequestAuthenticator,
  verifyMessageAuthenticator,
  verifyResponseAuthenticator,
  type RawAttribute,
} from '../../src/protocol/index.js';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const dictionary = loadDictionary(join(REPO_ROOT, 'dictionaries'));

/** Vendor attributes for the radius package, numbered independently of our dictionaries. */
const VENDOR_DICTIONARY = `
# Cisco (IANA 9): Cisco-AVPair, the "protocol:attribute=value" carrier.
VENDOR Cisco 9
BEGIN-VENDOR Cisco
ATTRIBUTE Cisco-AVPair 1 string
END-VENDOR Cisco
# Microsoft (IANA 311), RFC 2548 §2.4.x.
VENDOR Microsoft 311
BEGIN-VENDOR Microsoft
ATTRIBUTE MS-RAS-Vendor 9 integer
ATTRIBUTE MS-CHAP-Challenge 11 octets
ATTRIBUTE MS-Primary-DNS-Server 28 ipaddr
END-VENDOR Microsoft
# Fortinet (IANA 12356): the group name FortiGate matches against remote groups.
VENDOR Fortinet 12356
BEGIN-VENDOR Fortinet
ATTRIBUTE Fortinet-Group-Name 1 string
END-VENDOR Fortinet
`;
const vendorDictionaryFile = join(mkdtempSync(join(tmpdir(), 'radgate-interop-')), 'dictionary.vendors');
writeFileSync(vendorDictionaryFile, VENDOR_DICTIONARY);
// Must precede the first encode/decode: the package loads its dictionaries once.
radius.add_dictionary(vendorDictionaryFile);

const SECRET_TEXT = 'interop-shared-secret';
const SECRET = Buffer.from(SECRET_TEXT);
const WRONG_SECRET = Buffer.from('not-the-shared-secret');
/** Fixed, so every packet (and so every assertion) is the same on every run. */
const REQUEST_AUTHENTICATOR = Buffer.from('0f403f9473978057bd83d5cb98f4227a', 'hex');
const IDENTIFIER = 42;
const PASSWORD = 'correct horse battery staple';
const STRICT = { requireMessageAuthenticator: true, limitProxyState: true } as const;
const LAX = { requireMessageAuthenticator: false, limitProxyState: false } as const;

const EVENT_TIME = new Date('2024-07-09T12:00:00Z');
const STATE = Buffer.from('8c0f5d2e71aa', 'hex');
const MS_CHAP_CHALLENGE = Buffer.from('5b5d7c7d7b3f2f3e3c2c602132262628', 'hex');

/** One attribute, written once and encoded by both implementations. */
interface Sample {
  readonly name: string;
  readonly value: string | number | Buffer | Date;
  /** IANA enterprise number for a vendor attribute. */
  readonly vendor?: number;
}

/** string, integer (plain and named), ipaddr, octets, date, encrypted, and three vendors. */
const REQUEST_SAMPLES: readonly Sample[] = [
  { name: 'User-Name', value: 'alice@example.com' },
  { name: 'User-Password', value: PASSWORD },
  { name: 'NAS-IP-Address', value: '192.0.2.10' },
  { name: 'NAS-Port', value: 4242 },
  { name: 'Service-Type', value: 'Framed-User' },
  { name: 'Called-Station-Id', value: '00-11-22-33-44-55:corp-vpn' },
  { name: 'Calling-Station-Id', value: '198.51.100.7' },
  { name: 'NAS-Identifier', value: 'vpn-gw-1' },
  { name: 'State', value: STATE },
  { name: 'Event-Timestamp', value: EVENT_TIME },
  { name: 'Cisco-AVPair', value: 'shell:priv-lvl=15', vendor: 9 },
  { name: 'Cisco-AVPair', value: 'ip:inacl#1=permit ip any any', vendor: 9 },
  { name: 'MS-RAS-Vendor', value: 311, vendor: 311 },
  { name: 'MS-CHAP-Challenge', value: MS_CHAP_CHALLENGE, vendor: 311 },
  { name: 'MS-Primary-DNS-Server', value: '198.51.100.53', vendor: 311 },
  { name: 'Fortinet-Group-Name', value: 'vpn-admins', vendor: 12356 },
];

/** The radius package's form: one Vendor-Specific per vendor attribute, as our encoder does. */
function theirs(samples: readonly Sample[]): radius.EncodeAttribute[] {
  return samples.map((sample): radius.EncodeAttribute =>
    sample.vendor === undefined ? [sample.name, sample.value] : ['Vendor-Specific', sample.vendor, [[sample.name, sample.value]]],
  );
}

function ours(samples: readonly Sample[], requestAuthenticator = REQUEST_AUTHENTICATOR): RawAttribute[] {
  return samples.map((sample) => encodeAttribute(dictionary, { name: sample.name, value: sample.value }, { secret: SECRET, requestAuthenticator }));
}

/** What describeAttributes must show for REQUEST_SAMPLES: decoded values, secrets redacted. */
const REQUEST_DESCRIPTION: [string, string | number][] = [
  ['User-Name', 'alice@example.com'],
  ['User-Password', '[redacted 32 octets]'],
  ['NAS-IP-Address', '192.0.2.10'],
  ['NAS-Port', 4242],
  ['Service-Type', 'Framed-User'],
  ['Called-Station-Id', '00-11-22-33-44-55:corp-vpn'],
  ['Calling-Station-Id', '198.51.100.7'],
  ['NAS-Identifier', 'vpn-gw-1'],
  ['State', '[redacted 6 octets]'],
  ['Event-Timestamp', EVENT_TIME.getTime() / 1000],
  ['Cisco-AVPair', 'shell:priv-lvl=15'],
  ['Cisco-AVPair', 'ip:inacl#1=permit ip any any'],
  ['MS-RAS-Vendor', 311],
  ['MS-CHAP-Challenge', `0x${MS_CHAP_CHALLENGE.toString('hex')}`],
  ['MS-Primary-DNS-Server', '198.51.100.53'],
  ['Fortinet-Group-Name', 'vpn-admins'],
];

/** What the radius package must decode REQUEST_SAMPLES to (its own value conventions). */
const REQUEST_DECODED = {
  'User-Name': 'alice@example.com',
  'User-Password': PASSWORD,
  'NAS-IP-Address': '192.0.2.10',
  'NAS-Port': 4242,
  'Service-Type': 'Framed-User',
  'Called-Station-Id': '00-11-22-33-44-55:corp-vpn',
  'Calling-Station-Id': '198.51.100.7',
  'NAS-Identifier': 'vpn-gw-1',
  State: STATE,
  'Event-Timestamp': EVENT_TIME,
  'Vendor-Specific': {
    'Cisco-AVPair': ['shell:priv-lvl=15', 'ip:inacl#1=permit ip any any'],
    'MS-RAS-Vendor': 311,
    'MS-CHAP-Challenge': MS_CHAP_CHALLENGE,
    'MS-Primary-DNS-Server': '198.51.100.53',
    'Fortinet-Group-Name': 'vpn-admins',
  },
};

function radiusAccessRequest(samples: readonly Sample[], messageAuthenticator: boolean): Buffer {
  return radius.encode({
    code: 'Access-Request',
    identifier: IDENTIFIER,
    authenticator: REQUEST_AUTHENTICATOR,
    secret: SECRET_TEXT,
    attributes: theirs(samples),
    add_message_authenticator: messageAuthenticator,
  });
}

function ourAccessRequest(samples: readonly Sample[], messageAuthenticator = true): Buffer {
  return encodeRequest({
    code: PacketCode.AccessRequest,
    identifier: IDENTIFIER,
    authenticator: REQUEST_AUTHENTICATOR,
    attributes: ours(samples),
    secret: SECRET,
    messageAuthenticator,
  });
}

// ---------------------------------------------------------------------------------------
// (a) The radius package encodes, we decode
// ---------------------------------------------------------------------------------------

test('an Access-Request from the radius package decodes attribute for attribute, its Message-Authenticator last', (t) => {
  const packet = decodePacket(radiusAccessRequest(REQUEST_SAMPLES, true));
  t.is(packet.code, PacketCode.AccessRequest);
  t.is(packet.identifier, IDENTIFIER);
  t.deepEqual(packet.authenticator, REQUEST_AUTHENTICATOR);
  t.deepEqual(
    packet.attributes.map((attribute) => attribute.type),
    [1, 2, 4, 5, 6, 30, 31, 32, 24, 55, 26, 26, 26, 26, 26, 26, 80],
  );
  const messageAuthenticator = packet.raw.subarray(packet.raw.length - 16);
  t.is(packet.messageAuthenticatorOffset, packet.raw.length - 16);
  t.deepEqual(describeAttributes(dictionary, packet.attributes), [
    ...REQUEST_DESCRIPTION,
    ['Message-Authenticator', `0x${messageAuthenticator.toString('hex')}`],
  ]);

  const hidden = findAttribute(packet, AttributeType.UserPassword);
  t.is(hidden?.length, 32);
  t.is(unhideUserPassword(hidden!, SECRET, packet.authenticator).toString('utf8'), PASSWORD);

  // RFC 3579 §3.2: valid under the right secret only, wherever the attribute sits.
  t.true(verifyMessageAuthenticator(packet, SECRET));
  t.false(verifyMessageAuthenticator(packet, WRONG_SECRET));
  t.is(checkRequestAuthenticity(packet, SECRET, STRICT), undefined);
  t.is(checkRequestAuthenticity(packet, WRONG_SECRET, LAX), RadiusErrorCode.MessageAuthenticatorInvalid);
});

test('without Message-Authenticator both encoders produce the same octets', (t) => {
  // Deterministic given the Request Authenticator: User-Password hiding included.
  const theirBytes = radiusAccessRequest(REQUEST_SAMPLES, false);
  const ourBytes = ourAccessRequest(REQUEST_SAMPLES, false);
  t.is(ourBytes.toString('hex'), theirBytes.toString('hex'));
  t.is(theirBytes.length, 20 + ours(REQUEST_SAMPLES).reduce((sum, attribute) => sum + 2 + attribute.value.length, 0));
});

const PASSWORDS: readonly [string, string][] = [
  ['one octet', 'x'],
  ['exactly one block', '0123456789abcdef'],
  ['one octet into a second block', '0123456789abcdef!'],
  ['UTF-8 multi-octet', 'pässwörd-ünïcødé-€'],
  ['the 128-octet maximum', 'A1b2C3d4'.repeat(16)],
];

for (const [label, password] of PASSWORDS) {
  test(`User-Password (${label}) is hidden identically and unhides on both sides`, (t) => {
    const samples: Sample[] = [
      { name: 'User-Name', value: 'bob' },
      { name: 'User-Password', value: password },
    ];
    const fromThem = decodePacket(radiusAccessRequest(samples, true));
    const theirHidden = findAttribute(fromThem, AttributeType.UserPassword)!;
    // RFC 2865 §5.2: padded with NULs to a multiple of 16 octets.
    t.is(theirHidden.length, Math.max(16, Math.ceil(Buffer.byteLength(password) / 16) * 16));
    t.is(unhideUserPassword(theirHidden, SECRET, REQUEST_AUTHENTICATOR).toString('utf8'), password);
    t.deepEqual(hideUserPassword(Buffer.from(password), SECRET, REQUEST_AUTHENTICATOR), theirHidden);

    const fromUs = radius.decode({ packet: ourAccessRequest(samples), secret: SECRET_TEXT });
    t.is(fromUs.attributes['User-Password'], password);
  });
}

test('an Access-Accept from the radius package passes our Response and Message-Authenticator checks', (t) => {
  const replyAttributes: Sample[] = [
    { name: 'Reply-Message', value: 'Welcome, alice' },
    { name: 'Session-Timeout', value: 28800 },
    { name: 'Framed-IP-Address', value: '10.8.0.5' },
    { name: 'Fortinet-Group-Name', value: 'vpn-admins', vendor: 12356 },
  ];
  const bytes = radius.encode({
    code: 'Access-Accept',
    identifier: IDENTIFIER,
    authenticator: REQUEST_AUTHENTICATOR,
    secret: SECRET_TEXT,
    attributes: theirs(replyAttributes),
    add_message_authenticator: true,
  });
  const reply = decodePacket(bytes);
  t.is(reply.code, PacketCode.AccessAccept);
  t.notDeepEqual(reply.authenticator, REQUEST_AUTHENTICATOR);
  // RFC 2865 §3 Response Authenticator, RFC 3579 §3.2 keyed on the Request Authenticator.
  t.true(verifyResponseAuthenticator(reply, REQUEST_AUTHENTICATOR, SECRET));
  t.true(verifyMessageAuthenticator(reply, SECRET, REQUEST_AUTHENTICATOR));
  t.false(verifyResponseAuthenticator(reply, REQUEST_AUTHENTICATOR, WRONG_SECRET));
  t.false(verifyMessageAuthenticator(reply, SECRET, Buffer.alloc(16)));
  t.deepEqual(describeAttributes(dictionary, reply.attributes).slice(0, 4), [
    ['Reply-Message', 'Welcome, alice'],
    ['Session-Timeout', 28800],
    ['Framed-IP-Address', '10.8.0.5'],
    ['Fortinet-Group-Name', 'vpn-admins'],
  ]);
});

test('an Access-Challenge from radius.encode_response verifies and carries the Proxy-State back', (t) => {
  const proxyState = Buffer.from('proxy-hop-1');
  const requestBytes = radius.encode({
    code: 'Access-Request',
    identifier: IDENTIFIER,
    authenticator: REQUEST_AUTHENTICATOR,
    secret: SECRET_TEXT,
    attributes: [...theirs(REQUEST_SAMPLES.slice(0, 2)), ['Proxy-State', proxyState]],
    add_message_authenticator: true,
  });
  const request = radius.decode({ packet: requestBytes, secret: SECRET_TEXT });
  const bytes = radius.encode_response({
    packet: request,
    code: 'Access-Challenge',
    secret: SECRET_TEXT,
    attributes: [
      ['Reply-Message', 'Enter the tokencode'],
      ['State', STATE],
    ],
  });
  const reply = decodePacket(bytes);
  t.is(reply.code, PacketCode.AccessChallenge);
  t.is(reply.identifier, IDENTIFIER);
  t.deepEqual(
    reply.attributes.map(({ type, value }) => [type, value.toString('hex')]),
    [
      [18, Buffer.from('Enter the tokencode').toString('hex')],
      [24, STATE.toString('hex')],
      [33, proxyState.toString('hex')],
      [80, reply.raw.subarray(reply.raw.length - 16).toString('hex')],
    ],
  );
  t.true(verifyResponseAuthenticator(reply, REQUEST_AUTHENTICATOR, SECRET));
  t.true(verifyMessageAuthenticator(reply, SECRET, REQUEST_AUTHENTICATOR));
  t.false(verifyMessageAuthenticator(reply, WRONG_SECRET, REQUEST_AUTHENTICATOR));
});

test('an Accounting-Request from the radius package passes the RFC 2866 §3 authenticator check', (t) => {
  const bytes = radius.encode({
    code: 'Accounting-Request',
    identifier: 7,
    secret: SECRET_TEXT,
    attributes: [
      ['Acct-Status-Type', 'Start'],
      ['Acct-Session-Id', '0000002A'],
      ['User-Name', 'alice'],
      ['NAS-IP-Address', '192.0.2.10'],
      ['Event-Timestamp', EVENT_TIME],
    ],
  });
  const packet = decodePacket(bytes);
  t.is(packet.code, PacketCode.AccountingRequest);
  t.true(verifyAccountingRequestAuthenticator(packet, SECRET));
  t.false(verifyAccountingRequestAuthenticator(packet, WRONG_SECRET));
  t.deepEqual(describeAttributes(dictionary, packet.attributes), [
    ['Acct-Status-Type', 'Start'],
    ['Acct-Session-Id', '0000002A'],
    ['User-Name', 'alice'],
    ['NAS-IP-Address', '192.0.2.10'],
    ['Event-Timestamp', EVENT_TIME.getTime() / 1000],
  ]);
});

test('radius-package requests without Message-Authenticator meet the BlastRADIUS policy; its Status-Server passes', (t) => {
  const withProxyState = decodePacket(
    radius.encode({
      code: 'Access-Request',
      identifier: 1,
      authenticator: REQUEST_AUTHENTICATOR,
      secret: SECRET_TEXT,
      attributes: [...theirs(REQUEST_SAMPLES.slice(0, 2)), ['Proxy-State', Buffer.from('hop')]],
      add_message_authenticator: false,
    }),
  );
  t.is(withProxyState.messageAuthenticatorOffset, -1);
  t.is(checkRequestAuthenticity(withProxyState, SECRET, LAX), undefined);
  t.is(checkRequestAuthenticity(withProxyState, SECRET, { requireMessageAuthenticator: true, limitProxyState: false }), RadiusErrorCode.MessageAuthenticatorMissing);
  t.is(checkRequestAuthenticity(withProxyState, SECRET, { requireMessageAuthenticator: false, limitProxyState: true }), RadiusErrorCode.ProxyStateWithoutMessageAuthenticator);

  // RFC 5997 §3: the package adds a Message-Authenticator to Status-Server by itself.
  const statusServer = decodePacket(radius.encode({ code: 'Status-Server', identifier: 2, secret: SECRET_TEXT, attributes: [['NAS-Identifier', 'probe']] }));
  t.is(statusServer.code, PacketCode.StatusServer);
  t.true(statusServer.messageAuthenticatorOffset > 0);
  t.is(checkRequestAuthenticity(statusServer, SECRET, STRICT), undefined);
  t.is(checkRequestAuthenticity(statusServer, WRONG_SECRET, STRICT), RadiusErrorCode.MessageAuthenticatorInvalid);
});

// ---------------------------------------------------------------------------------------
// (b) We encode, the radius package decodes
// ---------------------------------------------------------------------------------------

test('an Access-Request from encodeRequest decodes in the radius package to the same values', (t) => {
  const bytes = ourAccessRequest(REQUEST_SAMPLES);
  const decoded = radius.decode({ packet: bytes, secret: SECRET_TEXT });
  t.is(decoded.code, 'Access-Request');
  t.is(decoded.identifier, IDENTIFIER);
  t.is(decoded.length, bytes.length);
  // Our Message-Authenticator comes first (BlastRADIUS mitigation), right after the header.
  t.deepEqual(decoded.raw_attributes[0], [80, bytes.subarray(22, 38)]);
  t.deepEqual(decoded.attributes, { 'Message-Authenticator': bytes.subarray(22, 38), ...REQUEST_DECODED });
});

const REPLY_SAMPLES: readonly (Sample & { readonly tag?: number })[] = [
  { name: 'Reply-Message', value: 'Welcome, alice' },
  { name: 'Session-Timeout', value: 28800 },
  { name: 'Class', value: Buffer.from('radgate:session:2a') },
  { name: 'Framed-IP-Address', value: '10.8.0.5' },
  // RFC 3580 §3.31 VLAN assignment, tagged per RFC 2868 §3.
  { name: 'Tunnel-Type', value: 'VLAN', tag: 1 },
  { name: 'Tunnel-Medium-Type', value: 'IEEE-802', tag: 1 },
  { name: 'Tunnel-Private-Group-Id', value: '10', tag: 1 },
  { name: 'Fortinet-Group-Name', value: 'vpn-admins', vendor: 12356 },
  { name: 'Cisco-AVPair', value: 'shell:priv-lvl=15', vendor: 9 },
  { name: 'MS-Primary-DNS-Server', value: '198.51.100.53', vendor: 311 },
];

const REPLY_DECODED = {
  'Reply-Message': 'Welcome, alice',
  'Session-Timeout': 28800,
  Class: Buffer.from('radgate:session:2a'),
  'Framed-IP-Address': '10.8.0.5',
  'Tunnel-Type': [1, 'VLAN'],
  'Tunnel-Medium-Type': [1, 'IEEE-802'],
  'Tunnel-Private-Group-Id': [1, '10'],
  'Vendor-Specific': { 'Fortinet-Group-Name': 'vpn-admins', 'Cisco-AVPair': 'shell:priv-lvl=15', 'MS-Primary-DNS-Server': '198.51.100.53' },
};

for (const [codeName, code] of [
  ['Access-Accept', PacketCode.AccessAccept],
  ['Access-Reject', PacketCode.AccessReject],
  ['Access-Challenge', PacketCode.AccessChallenge],
] as const) {
  test(`an ${codeName} from encodeReply passes radius.verify_response and decodes to the same values`, (t) => {
    const request = ourAccessRequest(REQUEST_SAMPLES);
    const proxyState = Buffer.from('proxy-hop-1');
    const attributes = [
      ...REPLY_SAMPLES.map((sample) => encodeAttribute(dictionary, { name: sample.name, value: sample.value, tag: sample.tag })),
      { type: AttributeType.ProxyState, value: proxyState },
    ];
    const reply = encodeReply({ code, identifier: IDENTIFIER, requestAuthenticator: REQUEST_AUTHENTICATOR, attributes, secret: SECRET });

    // verify_response checks the Response Authenticator and, since the request has one,
    // the Message-Authenticator; true needs both to match.
    t.true(radius.verify_response({ request, response: reply, secret: SECRET_TEXT }));
    t.false(radius.verify_response({ request, response: reply, secret: WRONG_SECRET.toString() }));
    const tampered = Buffer.from(reply);
    tampered[reply.indexOf('Welcome')]! ^= 0x20;
    t.false(radius.verify_response({ request, response: tampered, secret: SECRET_TEXT }));

    const decoded = radius.decode({ packet: reply, secret: SECRET_TEXT });
    t.is(decoded.code, codeName);
    t.is(decoded.identifier, IDENTIFIER);
    t.deepEqual(decoded.attributes, {
      'Message-Authenticator': reply.subarray(22, 38),
      ...REPLY_DECODED,
      'Proxy-State': proxyState,
    });
  });
}

/** The log view reads the RFC 2868 §3 tag off has_tag attributes, as the radius package does. */
test('describeAttributes reads tagged values as the radius package does (RFC 2868 §3)', (t) => {
  const tagged = REPLY_SAMPLES.filter((sample) => sample.tag !== undefined);
  const attributes = tagged.map((sample) => encodeAttribute(dictionary, { name: sample.name, value: sample.value, tag: sample.tag }));
  const decoded = radius.decode({ packet: encodeReply({ code: 2, identifier: 1, requestAuthenticator: REQUEST_AUTHENTICATOR, attributes, secret: SECRET }), secret: SECRET_TEXT });
  t.deepEqual(decoded.attributes['Tunnel-Type'], [1, 'VLAN']);
  const described = new Map(describeAttributes(dictionary, attributes));
  t.regex(String(described.get('Tunnel-Type')), /VLAN/);
  t.regex(String(described.get('Tunnel-Medium-Type')), /IEEE-802/);
  t.false(String(described.get('Tunnel-Private-Group-Id')).includes('\u0001'));
});
