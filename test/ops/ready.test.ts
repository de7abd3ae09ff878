import { createServer, type AddressInfo } from 'node:net';
import test from 'ava';
import { runCli } from '../../harness/cli.js';
import { SECRET_ENV, writeTestConfig } from '../../harness/config.js';
import { opsGet } from '../../harness/ops.js';
import { patient } from '../../harness/patience.js';
import { startStack } from '../../harness/stack.js';
import { until } from '../../harness/until.js';

// Issue 14: /ready turns 503 when Redis stops and 200 again when it returns. The test
// waits for each transition (polling /ready, bounded generously); how fast it comes is
// the gateway's store probe (250 ms) and the connection events, not an assertion here.

const readyStatus = async (port: number): Promise<number> => (await opsGet(port, '/ready')).status;

for (const workers of [1, 2]) {
  test(`workers: ${workers} — /ready is 503 while Redis is down and 200 once it is back; /health stays 200`, async (t) => {
    const stack = await startStack();
    const serve = await stack.startServe({ config: { workers } });
    const port = serve.opsPort!;
    try {
      t.is(await readyStatus(port), 200);
      const stopped = Date.now();
      await stack.redis.stop();
      const down = await until('/ready answers 503', patient(10_000), async () => {
        const response = await opsGet(port, '/ready');
        return response.status === 503 && response;
      }, 10);
      // Written down, not asserted: on a busy machine the poll itself may be late.
      t.log(`/ready turned 503 ${Date.now() - stopped} ms after Redis was told to stop`);
      t.regex(down.body, /not ready: credential store unavailable/);
      t.is((await opsGet(port, '/health')).status, 200, 'the process is alive all the same');
      await stack.redis.restart();
      await until('/ready answers 200 again', patient(10_000), async () => (await readyStatus(port)) === 200);
      t.pass();
    } finally {
      await stack.close();
    }
  });
}

test('a serve whose ops listener cannot bind exits 1 and says what to change', async (t) => {
  const busy = createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  const { port } = busy.address() as AddressInfo;
  try {
    const config = writeTestConfig('redis://127.0.0.1:1', { ops: `  listen: "127.0.0.1:${port}"\n` });
    const result = await runCli(['serve', '--config', config.path], { env: SECRET_ENV });
    t.is(result.exitCode, 1);
    t.regex(result.stderr, new RegExp(`cannot listen for operations .* on 127\\.0\\.0\\.1:${port}: EADDRINUSE; set ops\\.listen`));
  } finally {
    busy.close();
  }
});
