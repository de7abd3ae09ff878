import test from 'ava';
import { prettyOnStdout } from '../../src/observability/logger.js';
import { PacketCode } from '../../src/protocol/index.js';
import { loginOnce } from '../../harness/nas.js';
import { freeUdpPort } from '../../harness/ports.js';
import { startStack } from '../../harness/stack.js';
import { addUserWithToken, issue } from '../../harness/users.js';

// README "Operations": JSON lines for collectors; pino's pretty printer for a person at a
// terminal (`log.format: pretty`, or `auto` on a terminal). Either way no secret is logged.

test('auto is pretty on a terminal and JSON through a pipe; json and pretty are what they say', (t) => {
  t.true(prettyOnStdout({ format: 'auto' }, true));
  t.false(prettyOnStdout({ format: 'auto' }, false));
  t.false(prettyOnStdout({ format: 'json' }, true));
  t.true(prettyOnStdout({ format: 'pretty' }, false));
});

test('log.format pretty: radgate serve prints human lines, and still no password or code', async (t) => {
  const stack = await startStack();
  try {
    await addUserWithToken(stack.admin, 'paula', '8642');
    const [passcode] = await issue(stack.admin, 'paula', { kind: 'emergency-passcode', uses: 1 });
    // The "ready" line is not JSON here: the gateway is ready once it answers Status-Server.
    const port = await freeUdpPort();
    const serve = await stack.startServe({ config: { listen: `127.0.0.1:${port}`, logFormat: 'pretty' }, readyWhen: { port, processes: 1 } });
    try {
      t.is(await loginOnce(serve.port, 'paula', passcode!.code), PacketCode.AccessAccept);
      t.is(await loginOnce(serve.port, 'paula', '8642999999'), PacketCode.AccessReject);
    } finally {
      t.is(await serve.stop('SIGTERM'), 0);
    }
    const output = serve.lines.join('\n');
    t.false(serve.lines.some((line) => line.startsWith('{')), 'no JSON line');
    t.regex(output, /INFO.*: ready/);
    t.regex(output, /INFO.*: stopped/);
    t.regex(output, /result: "accept"/, 'the decision, field by field');
    for (const secret of [passcode!.code, '8642', '999999']) t.false(output.includes(secret), 'a secret was printed');
  } finally {
    await stack.close();
  }
});

test('log.format json: one JSON object per line, as the collectors read it', async (t) => {
  const stack = await startStack();
  try {
    const serve = await stack.startServe({ config: { logFormat: 'json' } });
    t.is(await loginOnce(serve.port, 'nobody', 'whatever1'), PacketCode.AccessReject);
    t.is(await serve.stop('SIGTERM'), 0);
    const lines = serve.lines.filter((line) => line.trim() !== '');
    t.true(lines.length > 0);
    for (const line of lines) t.notThrows(() => JSON.parse(line) as unknown, line);
    t.true(lines.some((line) => (JSON.parse(line) as { msg?: string }).msg === 'ready'));
  } finally {
    await stack.close();
  }
});
