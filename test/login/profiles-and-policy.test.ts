import { join } from 'node:path';
import test from 'ava';
import { ConfigError } from '../../src/config/errors.js';
import { createKeyFile, readKeyFile } from '../../src/keys/key-file.js';
import { Keyring } from '../../src/keys/keyring.js';
import { AttributeType, decodePacket, PacketCode } from '../../src/protocol/index.js';
import { projectDictionary } from '../../harness/server.js';
import { accessRequest } from '../../harness/packets.js';
import { writeTestConfig } from '../../harness/config.js';
import { loginOn } from '../../harness/login.js';
import { openPeer } from '../../harness/datagram-peer.js';
import { REPLY_WAIT_MS } from '../../harness/patience.js';
import { OPERATOR, startStack } from '../../harness/stack.js';
import { tempDir } from '../../harness/temp.js';
import { totpAt } from '../../harness/otp.js';

const REPLIES = `replies:
  token:
    - name: Class
      value: token-login
  emergency:
    - name: Session-Timeout
      value: 3600
    - name: Fortinet-Group-Name
      value: vpn-emergency
  online_authcode:
    - name: Filter-Id
      value: authcode-policy
`;

function vendorString(value: Buffer): string {
  // Vendor-Specific: vendor id (4), vendor type (1), vendor length (1), value.
  return value.subarray(6).toString('utf8');
}

test('each login method gets its reply profile', async (t) => {
  const stack = await startStack({ extra: REPLIES });
  const gateway = await stack.startGateway();
  const peer = await openPeer(gateway.server.addresses()[0]!.port);
  try {
    await stack.admin.service.addUser('carol', '5555', OPERATOR);
    const { uri } = await stack.admin.service.assignToken('carol', {}, OPERATOR);
    const [passcode] = await stack.admin.service.issueCodes('carol', { kind: 'emergency-passcode' }, OPERATOR);
    const [authcode] = await stack.admin.service.issueCodes('carol', { kind: 'online-authcode' }, OPERATOR);

    const token = decodePacket((await peer.exchange(accessRequest({ identifier: 1, userName: 'carol', password: `5555${totpAt(uri, stack.clock.now)}` }), REPLY_WAIT_MS))!);
    t.is(token.code, PacketCode.AccessAccept);
    t.deepEqual(token.attributes.slice(1).map((a) => [a.type, a.value.toString()]), [[AttributeType.Class, 'token-login']]);

    const emergency = decodePacket((await peer.exchange(accessRequest({ identifier: 2, userName: 'carol', password: passcode!.code }), REPLY_WAIT_MS))!);
    t.is(emergency.code, PacketCode.AccessAccept);
    t.is(emergency.attributes[1]!.type, 27);
    t.is(emergency.attributes[1]!.value.readUInt32BE(0), 3600);
    t.is(emergency.attributes[2]!.type, AttributeType.VendorSpecific);
    t.is(emergency.attributes[2]!.value.readUInt32BE(0), 12356);
    t.is(vendorString(emergency.attributes[2]!.value), 'vpn-emergency');

    const online = decodePacket((await peer.exchange(accessRequest({ identifier: 3, userName: 'carol', password: `5555${authcode!.code}` }), REPLY_WAIT_MS))!);
    t.deepEqual(online.attributes.slice(1).map((a) => [a.type, a.value.toString()]), [[11, 'authcode-policy']]);
  } finally {
    await peer.close();
    await stack.close();
  }
});

test('a reply attribute the dictionaries do not know stops start-up with its line', (t) => {
  const error = t.throws(() => writeTestConfig('redis://127.0.0.1:1', { extra: 'replies:\n  emergency:\n    - name: Fortinet-Grop-Name\n      value: x\n' }), { instanceOf: ConfigError });
  t.regex(error!.message, /radgate\.yaml:\d+: replies\.emergency\[0\]\.name: unknown attribute "Fortinet-Grop-Name"/);
  const badValue = t.throws(() => writeTestConfig('redis://127.0.0.1:1', { extra: 'replies:\n  token:\n    - name: Session-Timeout\n      value: forever\n' }), { instanceOf: ConfigError });
  t.regex(badValue!.message, /replies\.token\[0\]\.value: Session-Timeout: expected an integer/);
  t.truthy(projectDictionary().attributeByName('Fortinet-Group-Name'));
});

test('max_failures above 100 is refused: no setting allows unbounded guessing', (t) => {
  const error = t.throws(() => writeTestConfig('redis://127.0.0.1:1', { policy: '  max_failures: 101\n' }), { instanceOf: ConfigError });
  t.regex(error!.message, /policy\.max_failures/);
});

test('on_store_failure: reject answers Access-Reject (never Accept) while Redis is down', async (t) => {
  const stack = await startStack({ policy: '  reject_delay_ms: 0\n  on_store_failure: reject\n' });
  const gateway = await stack.startGateway();
  const peer = await openPeer(gateway.server.addresses()[0]!.port);
  try {
    await stack.admin.service.addUser('dave', '5555', OPERATOR);
    await stack.admin.service.assignToken('dave', {}, OPERATOR);
    const [passcode] = await stack.admin.service.issueCodes('dave', { kind: 'emergency-passcode' }, OPERATOR);
    await stack.redis.stop();
    const reply = await peer.exchange(accessRequest({ userName: 'dave', password: passcode!.code }), REPLY_WAIT_MS);
    t.is(decodePacket(reply!).code, PacketCode.AccessReject);
  } finally {
    await peer.close();
    await stack.close();
  }
});

test('key rotation: PINs and codes stored under the previous key keep working', async (t) => {
  const stack = await startStack();
  try {
    await stack.admin.service.addUser('erin', '8642', OPERATOR);
    const { uri } = await stack.admin.service.assignToken('erin', {}, OPERATOR);
    const [code] = await stack.admin.service.issueCodes('erin', { kind: 'emergency-tokencode' }, OPERATOR);
    const oldKey = readKeyFile(stack.config.keys.file);
    const newKeyFile = join(tempDir('rotate'), 'new.key');
    createKeyFile(newKeyFile);
    const rotated = new Keyring(readKeyFile(newKeyFile), [oldKey]);
    const withRotation = loginOn(stack, { maxUsers: 0, keyring: rotated }).login;
    const login = (password: string, fingerprint: string) => withRotation.run({ user: 'erin', password, fingerprint, client: 'test-nas' });
    t.like((await login(`8642${code!.code}`, 'r1')).outcome, { result: 'accept', method: 'emergency-tokencode' });
    t.like((await login(`8642${totpAt(uri, stack.clock.now)}`, 'r2')).outcome, { result: 'accept', method: 'token' });
    // Without the previous key nothing verifies: the reason rotation keeps it in the ring.
    const withoutOld = loginOn(stack, { maxUsers: 0, keyring: new Keyring(readKeyFile(newKeyFile)) }).login;
    t.like((await withoutOld.run({ user: 'erin', password: `8642${code!.code}`, fingerprint: 'r3', client: 'test-nas' })).outcome, { result: 'reject' });
  } finally {
    await stack.close();
  }
});

test('admin actions are audited with operator and reason, never the PIN or code', async (t) => {
  const stack = await startStack();
  try {
    const before = stack.lines.length;
    await stack.admin.service.addUser('frank', '97531', { operator: 'helpdesk-7', reason: 'INC-4242' });
    await stack.admin.service.assignToken('frank', {}, OPERATOR);
    const [code] = await stack.admin.service.issueCodes('frank', { kind: 'emergency-passcode' }, { operator: 'helpdesk-7', reason: 'INC-4243 lost token' });
    const lines = stack.lines.slice(before);
    const admin = lines.filter((line) => line.includes('"event":"admin"')).map((line) => JSON.parse(line) as Record<string, unknown>);
    t.like(admin[0], { action: 'user.add', user: 'frank', operator: 'helpdesk-7', reason: 'INC-4242' });
    t.like(admin.at(-1), { action: 'code.issue', user: 'frank', operator: 'helpdesk-7', reason: 'INC-4243 lost token', kind: 'emergency-passcode' });
    t.false(lines.join('\n').includes('97531'));
    t.false(lines.join('\n').includes(code!.code));
  } finally {
    await stack.close();
  }
});
