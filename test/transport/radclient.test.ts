import test from 'ava';
import { ScriptedHandler, startServer, testClient, type TestServer } from '../../harness/server.js';
import { TEST_SECRET } from '../../harness/packets.js';
import { radclient } from '../../harness/radclient.js';

// Interop with a real peer: FreeRADIUS's radclient 3.2.1 from Debian 12. It predates the
// BlastRADIUS reply check (-b), so reply bytes are checked by the UDP tests in server.test.ts.

const handler = new ScriptedHandler((request) =>
  request.password()?.toString() === 'right-password'
    ? { action: 'accept', attributes: [{ name: 'Reply-Message', value: 'welcome' }, { name: 'Session-Timeout', value: 600 }] }
    : { action: 'reject', attributes: [{ name: 'Reply-Message', value: 'denied' }] },
);

let gateway: TestServer;
let v4: string;
let v6: string;

test.before(async () => {
  gateway = await startServer({
    handler,
    clients: [testClient({ name: 'v4', address: '127.0.0.1' }), testClient({ name: 'v6', address: '::1' })],
    config: {
      listen: [
        { host: '127.0.0.1', port: 0, family: 4 },
        { host: '::1', port: 0, family: 6 },
      ],
    },
  });
  const [first, second] = gateway.server.addresses();
  v4 = `127.0.0.1:${first!.port}`;
  v6 = `[::1]:${second!.port}`;
});

test.after.always(async () => {
  await gateway.server.stop();
});

const signed = (password: string) => `User-Name = "alice", User-Password = "${password}", Message-Authenticator = 0x00\n`;

for (const [family, server] of [['IPv4', () => v4], ['IPv6', () => v6]] as const) {
  test(`radclient over ${family}: right password → Access-Accept with the reply attributes`, async (t) => {
    const result = await radclient(server(), 'auth', signed('right-password'), TEST_SECRET, { ipv6: family === 'IPv6' });
    t.is(result.exitCode, 0, result.output);
    t.regex(result.output, /Received Access-Accept/);
    t.regex(result.output, /Reply-Message = "welcome"/);
    t.regex(result.output, /Session-Timeout = 600/);
  });

  test(`radclient over ${family}: wrong password → Access-Reject`, async (t) => {
    const result = await radclient(server(), 'auth', signed('wrong-password'), TEST_SECRET, { ipv6: family === 'IPv6' });
    t.is(result.exitCode, 1);
    t.regex(result.output, /Received Access-Reject/);
  });

  test(`radclient over ${family}: Status-Server → Access-Accept`, async (t) => {
    const result = await radclient(server(), 'status', 'Message-Authenticator = 0x00\n', TEST_SECRET, { ipv6: family === 'IPv6' });
    t.is(result.exitCode, 0, result.output);
    t.regex(result.output, /Received Access-Accept/);
  });
}

test('radclient without Message-Authenticator gets no reply', async (t) => {
  const before = gateway.server.counters.get('dropped', 'RADGATE_RADIUS_MESSAGE_AUTHENTICATOR_MISSING');
  const result = await radclient(v4, 'auth', 'User-Name = "alice", User-Password = "right-password"\n', TEST_SECRET);
  t.is(result.exitCode, 1);
  t.notRegex(result.output, /Received Access/);
  t.regex(result.output, /No reply from server/);
  // radclient -r 1: the original and no retry, or one retry; each is dropped.
  t.true(gateway.server.counters.get('dropped', 'RADGATE_RADIUS_MESSAGE_AUTHENTICATOR_MISSING') > before);
});

test('radclient with the wrong secret gets no reply', async (t) => {
  const result = await radclient(v4, 'auth', signed('right-password'), Buffer.from('not-the-configured-secret'));
  t.is(result.exitCode, 1);
  t.regex(result.output, /No reply from server/);
});
