import test from 'ava';
import { decodePacket, RadiusError, RadiusErrorCode, type RadiusErrorCode as Code } from '../../src/protocol/index.js';
import { accessRequest, handBuilt } from '../../harness/packets.js';

const attr = (type: number, length: number, fill = 0x41): Buffer =>
  Buffer.concat([Buffer.from([type, length]), Buffer.alloc(Math.max(0, length - 2), fill)]);

function refuses(name: string, bytes: () => Buffer, code: Code): void {
  test(`refuses ${name} with ${code}`, (t) => {
    const error = t.throws(() => decodePacket(bytes()), { instanceOf: RadiusError });
    t.is(error?.code, code);
  });
}

refuses('a datagram of 19 bytes', () => Buffer.alloc(19, 1), RadiusErrorCode.TooShort);
refuses('a Length field of 19', () => handBuilt(1, Buffer.alloc(0), { length: 19 }), RadiusErrorCode.LengthTooSmall);
refuses('a Length field of 4097', () => handBuilt(1, Buffer.alloc(4080), { length: 4097 }), RadiusErrorCode.LengthTooLarge);
refuses('a Length field beyond the datagram', () => handBuilt(1, attr(1, 6), { length: 40 }), RadiusErrorCode.LengthExceedsDatagram);
refuses('attribute length 0', () => handBuilt(1, Buffer.from([1, 0, 0x41, 0x41])), RadiusErrorCode.AttributeLengthTooSmall);
refuses('attribute length 1', () => handBuilt(1, Buffer.from([1, 1, 0x41, 0x41])), RadiusErrorCode.AttributeLengthTooSmall);
refuses('an attribute overflowing the packet', () => handBuilt(1, Buffer.from([1, 10, 0x41, 0x41])), RadiusErrorCode.AttributeOverflow);
refuses('a lone byte where an attribute header belongs', () => handBuilt(1, Buffer.concat([attr(1, 6), Buffer.from([1])])), RadiusErrorCode.AttributeTruncated);
refuses('attribute type 0', () => handBuilt(1, attr(0, 4)), RadiusErrorCode.AttributeTypeZero);
refuses('201 attributes', () => handBuilt(1, Buffer.concat(Array.from({ length: 201 }, () => attr(30, 2)))), RadiusErrorCode.TooManyAttributes);
refuses('Message-Authenticator of length 17', () => handBuilt(1, attr(80, 17)), RadiusErrorCode.MessageAuthenticatorLength);
refuses('Message-Authenticator of length 19', () => handBuilt(1, attr(80, 19)), RadiusErrorCode.MessageAuthenticatorLength);
refuses('two Message-Authenticators', () => handBuilt(1, Buffer.concat([attr(80, 18), attr(80, 18)])), RadiusErrorCode.MessageAuthenticatorDuplicate);
refuses('User-Password of 15 octets', () => handBuilt(1, attr(2, 17)), RadiusErrorCode.UserPasswordLength);
refuses('User-Password of 0 octets', () => handBuilt(1, attr(2, 2)), RadiusErrorCode.UserPasswordLength);
refuses('User-Password of 144 octets', () => handBuilt(1, attr(2, 146)), RadiusErrorCode.UserPasswordLength);

test('accepts exactly 200 attributes and a 128-octet User-Password', (t) => {
  const packet = decodePacket(handBuilt(1, Buffer.concat([attr(2, 130), ...Array.from({ length: 199 }, () => attr(30, 2))])));
  t.is(packet.attributes.length, 200);
  t.is(packet.attributes[0]!.value.length, 128);
});

test('ignores octets past the Length field (RFC 2865 §3 padding)', (t) => {
  const request = accessRequest();
  const padded = Buffer.concat([request, Buffer.from('trailing garbage')]);
  const packet = decodePacket(padded);
  t.is(packet.raw.length, request.length);
  t.deepEqual(packet.raw, request);
  t.is(packet.attributes.length, decodePacket(request).attributes.length);
});

test('accepts a zero-length attribute value (length 2), as FreeRADIUS does', (t) => {
  const packet = decodePacket(handBuilt(1, attr(30, 2)));
  t.is(packet.attributes[0]!.value.length, 0);
});

test('records where the Message-Authenticator value sits', (t) => {
  const packet = decodePacket(accessRequest());
  t.is(packet.messageAuthenticatorOffset, 22);
  t.is(decodePacket(accessRequest({ messageAuthenticator: false })).messageAuthenticatorOffset, -1);
});

test('accepts the maximum packet of 4096 octets', (t) => {
  const attributes = Buffer.concat([...Array.from({ length: 15 }, () => attr(26, 255)), attr(26, 4096 - 20 - 15 * 255)]);
  t.is(decodePacket(handBuilt(1, attributes)).raw.length, 4096);
});
