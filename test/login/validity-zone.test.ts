import test from 'ava';
import { deriveOfflineAuthcode } from '../../src/credentials/offline-authcode.js';
import { AttributeType, PacketCode, type RadiusPacket } from '../../src/protocol/index.js';
import { openNas } from '../../harness/nas.js';
import { startStack, type Stack } from '../../harness/stack.js';
import { addUserWithToken } from '../../harness/users.js';

// SPEC "Time" at the gateway: the validity of an offline authorization code, and with it
// the temporary password-only lock it opens, ends at the same wall-clock time in the
// helpdesk's zone. A real gateway over UDP and a real redis-server, on an injected clock
// set years ahead: Redis expires a pending challenge (PEXPIREAT) by its own clock.

const LOS_ANGELES = 'America/Los_Angeles';
const CHALLENGE = `challenge:
  enabled: true
  validities: [1d, 1month]
  temporary_bypass: true
`;

let stack: Stack;
let port: number;

test.before(async () => {
  stack = await startStack({ timeZone: LOS_ANGELES, extra: CHALLENGE });
  port = (await stack.startGateway()).server.addresses()[0]!.port;
});

test.after.always(async () => {
  await stack.close();
});

async function send(user: string, password: string, state?: Buffer): Promise<RadiusPacket | undefined> {
  const nas = await openNas({ port });
  try {
    const attributes = state === undefined ? [] : [{ type: AttributeType.State, value: state }];
    return (await nas.send({ kind: 'access', userName: user, password, attributes })).reply?.packet;
  } finally {
    await nas.close();
  }
}

/** PIN alone → Access-Challenge → the helpdesk's authorization code for `validity` → Accept; returns when the lock ends. */
async function useOfflineCode(user: string, pin: string, validity: string): Promise<string> {
  const challenge = await send(user, pin);
  if (challenge?.code !== PacketCode.AccessChallenge) throw new Error(`expected an Access-Challenge, got ${challenge?.code}`);
  const message = challenge.attributes.find((a) => a.type === AttributeType.ReplyMessage)!.value.toString();
  const state = challenge.attributes.find((a) => a.type === AttributeType.State)!.value;
  const requestCode = /request code (\w{4})-(\w{4})/.exec(message)!.slice(1).join('');
  const accepted = await send(user, deriveOfflineAuthcode(stack.admin.keyring, user, requestCode, validity), state);
  if (accepted?.code !== PacketCode.AccessAccept) throw new Error(`expected an Access-Accept, got ${accepted?.code}`);
  const access = (await stack.admin.service.challengeAccess(user)).temporaryAccess;
  if (access?.state !== 'active') throw new Error('expected the password-only lock the offline code opened');
  return access.endsAt;
}

test.serial('1month granted in Los Angeles on Jan 30 at 20:00 lasts until Feb 28 at 20:00 there, not Feb 27', async (t) => {
  stack.clock.now = Date.parse('2035-01-30T20:00:00-08:00');
  await addUserWithToken(stack.admin, 'lena', '1357');
  t.is(await useOfflineCode('lena', '1357', '1month'), '2035-03-01T04:00:00.000Z', 'Feb 28 20:00 PST');
  stack.clock.now = Date.parse('2035-02-28T19:59:59-08:00');
  t.is((await send('lena', '1357'))?.code, PacketCode.AccessAccept, 'Feb 28 19:59:59: the PIN alone, within the validity');
  stack.clock.now = Date.parse('2035-02-28T20:00:00-08:00');
  t.is((await send('lena', '1357'))?.code, PacketCode.AccessChallenge, 'Feb 28 20:00: over');
});

test.serial('1d granted the day before summer time starts ends at the same wall-clock time, 23 hours later', async (t) => {
  stack.clock.now = Date.parse('2035-03-10T12:00:00-08:00');
  await addUserWithToken(stack.admin, 'mona', '2468');
  const granted = stack.clock.now;
  const ends = await useOfflineCode('mona', '2468', '1d');
  t.is(ends, '2035-03-11T19:00:00.000Z', 'Mar 11 12:00 PDT');
  t.is(Date.parse(ends) - granted, 23 * 3_600_000);
  stack.clock.now = Date.parse(ends) - 1;
  t.is((await send('mona', '2468'))?.code, PacketCode.AccessAccept);
  stack.clock.now = Date.parse(ends);
  t.is((await send('mona', '2468'))?.code, PacketCode.AccessChallenge);
});
