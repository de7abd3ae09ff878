import test from 'ava';
import {
  checkRequestAuthenticity,
  decodePacket,
  decryptTunnelPassword,
  encodeReply,
  encryptTunnelPassword,
  hideUserPassword,
  PacketCode,
  randomAuthenticator,
  RadiusErrorCode,
  unhideUserPassword,
  verifyMessageAuthenticator,
  verifyResponseAuthenticator,
} from '../../src/protocol/index.js';
import { accessRequest, handBuilt, proxyState, statusServer, TEST_SECRET } from '../../harness/packets.js';

const strict = { requireMessageAuthenticator: true, limitProxyState: true };
const lenient = { requireMessageAuthenticator: false, limitProxyState: true };

test('a request Message-Authenticator verifies under the right secret only', (t) => {
  const packet = decodePacket(accessRequest());
  t.true(verifyMessageAuthenticator(packet, TEST_SECRET));
  t.false(verifyMessageAuthenticator(packet, Buffer.from('another-secret-0123')));
});

test('every single-byte tampering of a signed request is refused', (t) => {
  // The npm `radius` package accepted over a thousand such tamperings; we must accept none.
  const original = accessRequest({ attributes: [proxyState('hop-1')] });
  let accepted = 0;
  let checked = 0;
  for (let index = 0; index < original.length; index++) {
    if (index === 2 || index === 3) continue; // Length changes are a decode error, not a tampering.
    for (const flip of [0x01, 0x80, 0xff]) {
      const tampered = Buffer.from(original);
      tampered[index]! ^= flip;
      let packet;
      try {
        packet = decodePacket(tampered);
      } catch {
        continue; // Structurally broken: dropped before any authenticity check.
      }
      checked++;
      if (checkRequestAuthenticity(packet, TEST_SECRET, strict) === undefined) accepted++;
    }
  }
  t.true(checked > 100);
  t.is(accepted, 0);
});

test('authenticity rules: missing, Status-Server, EAP, Proxy-State (BlastRADIUS)', (t) => {
  const bare = decodePacket(accessRequest({ messageAuthenticator: false }));
  t.is(checkRequestAuthenticity(bare, TEST_SECRET, strict), RadiusErrorCode.MessageAuthenticatorMissing);
  t.is(checkRequestAuthenticity(bare, TEST_SECRET, lenient), undefined);

  const proxied = decodePacket(accessRequest({ messageAuthenticator: false, attributes: [proxyState('x')] }));
  t.is(checkRequestAuthenticity(proxied, TEST_SECRET, lenient), RadiusErrorCode.ProxyStateWithoutMessageAuthenticator);
  t.is(checkRequestAuthenticity(proxied, TEST_SECRET, { ...lenient, limitProxyState: false }), undefined);

  const eap = decodePacket(accessRequest({ messageAuthenticator: false, attributes: [{ type: 79, value: Buffer.from([2, 1, 0, 5, 1]) }] }));
  t.is(checkRequestAuthenticity(eap, TEST_SECRET, { requireMessageAuthenticator: false, limitProxyState: false }), RadiusErrorCode.MessageAuthenticatorMissing);

  const status = decodePacket(handBuilt(PacketCode.StatusServer, Buffer.alloc(0)));
  t.is(checkRequestAuthenticity(status, TEST_SECRET, { requireMessageAuthenticator: false, limitProxyState: false }), RadiusErrorCode.MessageAuthenticatorMissing);
  t.is(checkRequestAuthenticity(decodePacket(statusServer()), TEST_SECRET, strict), undefined);
});

test('a present but wrong Message-Authenticator is refused even when none is required', (t) => {
  const packet = decodePacket(accessRequest({ secret: Buffer.from('not-the-right-secret') }));
  t.is(checkRequestAuthenticity(packet, TEST_SECRET, lenient), RadiusErrorCode.MessageAuthenticatorInvalid);
});

test('reply: Message-Authenticator first, then Response Authenticator over it (RFC 3579 §3.2)', (t) => {
  const request = decodePacket(accessRequest());
  const bytes = encodeReply({
    code: PacketCode.AccessAccept,
    identifier: request.identifier,
    requestAuthenticator: request.authenticator,
    attributes: [{ type: 18, value: Buffer.from('ok') }],
    secret: TEST_SECRET,
  });
  t.deepEqual([bytes[20], bytes[21]], [0x50, 0x12]);
  const reply = decodePacket(bytes);
  t.true(verifyMessageAuthenticator(reply, TEST_SECRET, request.authenticator));
  t.true(verifyResponseAuthenticator(reply, request.authenticator, TEST_SECRET));
  t.false(verifyResponseAuthenticator(reply, randomAuthenticator(), TEST_SECRET));
});

test('User-Password hides and unhides for every length 0–128 (RFC 2865 §5.2)', (t) => {
  const authenticator = randomAuthenticator();
  for (let length = 1; length <= 128; length++) {
    const password = Buffer.alloc(length, 0x61 + (length % 26));
    const hidden = hideUserPassword(password, TEST_SECRET, authenticator);
    t.is(hidden.length, Math.max(16, Math.ceil(length / 16) * 16));
    t.deepEqual(unhideUserPassword(hidden, TEST_SECRET, authenticator), password);
  }
  t.throws(() => hideUserPassword(Buffer.alloc(129), TEST_SECRET, authenticator), { code: RadiusErrorCode.EncodeInvalid });
});

test('Tunnel-Password: salt with the high bit set, round trip (RFC 2868 §3.5)', (t) => {
  const authenticator = randomAuthenticator();
  for (const text of ['', 'p', 'fifteen-octets!', 'sixteen-octets!!', 'a'.repeat(100)]) {
    const value = encryptTunnelPassword(Buffer.from(text), TEST_SECRET, authenticator);
    t.true((value[0]! & 0x80) !== 0);
    t.is((value.length - 2) % 16, 0);
    t.is(decryptTunnelPassword(value, TEST_SECRET, authenticator).toString(), text);
  }
});
