import test from 'ava';
import { RADGATE_ACCEPT, RFC2865_ACCEPT, RFC2865_REQUEST, type GoldenPacket } from '../fixtures/golden.js';
import {
  decodePacket,
  encodeReply,
  encodeRequest,
  hideUserPassword,
  unhideUserPassword,
  verifyMessageAuthenticator,
  verifyResponseAuthenticator,
} from '../../src/protocol/index.js';

function attributesOf(vector: GoldenPacket) {
  return vector.attributes.map(([type, value]) => ({ type, value: Buffer.from(value, 'hex') }));
}

/** One vector, two tests: bytes → decoded form, and decoded form → the same bytes. */
function testParseGenerate(vector: GoldenPacket, generate: (vector: GoldenPacket) => Buffer): void {
  const bytes = Buffer.from(vector.hex, 'hex');
  test(`decode: ${vector.name}`, (t) => {
    const packet = decodePacket(bytes);
    t.is(packet.code, vector.code);
    t.is(packet.identifier, vector.identifier);
    t.deepEqual(
      packet.attributes.filter((a) => a.type !== 80).map((a) => [a.type, a.value.toString('hex')]),
      vector.attributes.map(([type, value]) => [type, value]),
    );
    if (vector.password !== undefined) {
      const hidden = packet.attributes.find((a) => a.type === 2)!.value;
      t.is(unhideUserPassword(hidden, Buffer.from(vector.secret), packet.authenticator).toString(), vector.password);
    }
    if (vector.requestAuthenticator !== undefined) {
      t.true(verifyResponseAuthenticator(packet, Buffer.from(vector.requestAuthenticator, 'hex'), Buffer.from(vector.secret)));
    }
  });
  test(`encode: ${vector.name}`, (t) => {
    t.is(generate(vector).toString('hex'), vector.hex);
  });
}

// RFC 2865 §7.1: the password is hidden again from clear text and must give the same octets.
testParseGenerate(RFC2865_REQUEST, (vector) => {
  const secret = Buffer.from(vector.secret);
  const authenticator = Buffer.from(vector.hex, 'hex').subarray(4, 20);
  const attributes = attributesOf(vector).map((attribute) =>
    attribute.type === 2 ? { type: 2, value: hideUserPassword(Buffer.from(vector.password!), secret, authenticator) } : attribute,
  );
  return encodeRequest({ code: vector.code, identifier: vector.identifier, authenticator, attributes, secret, messageAuthenticator: false });
});

testParseGenerate(RADGATE_ACCEPT, (vector) =>
  encodeReply({
    code: vector.code,
    identifier: vector.identifier,
    requestAuthenticator: Buffer.from(vector.requestAuthenticator!, 'hex'),
    attributes: attributesOf(vector),
    secret: Buffer.from(vector.secret),
  }),
);

test('decode: RFC 2865 §7.1 Access-Accept verifies against its request', (t) => {
  const reply = decodePacket(Buffer.from(RFC2865_ACCEPT.hex, 'hex'));
  const secret = Buffer.from(RFC2865_ACCEPT.secret);
  t.true(verifyResponseAuthenticator(reply, Buffer.from(RFC2865_ACCEPT.requestAuthenticator!, 'hex'), secret));
  t.false(verifyResponseAuthenticator(reply, Buffer.from(RFC2865_ACCEPT.requestAuthenticator!, 'hex'), Buffer.from('xyzzy5462')));
});

test('our reply carries Message-Authenticator first, valid under the request authenticator', (t) => {
  const bytes = Buffer.from(RADGATE_ACCEPT.hex, 'hex');
  t.is(bytes[20], 0x50);
  t.is(bytes[21], 0x12);
  const reply = decodePacket(bytes);
  t.true(verifyMessageAuthenticator(reply, Buffer.from(RADGATE_ACCEPT.secret), Buffer.from(RADGATE_ACCEPT.requestAuthenticator!, 'hex')));
});
