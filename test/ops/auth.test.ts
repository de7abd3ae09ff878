import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { opsGet } from '../../harness/ops.js';
import { startStack } from '../../harness/stack.js';

// ops.auth: /metrics and /ready need the credentials from ops.credentials_file; /health
// does not (a container's health check carries no secret). The credentials never reach a log.

const PASSWORD = 'scrape-password-7f3a9c';
const TOKEN = 'bearer-token-51c0e2d8b6a4';

test('basic and bearer: refused without or with wrong credentials (401), served with the right ones', async (t) => {
  const stack = await startStack();
  writeFileSync(join(stack.directory, 'basic.credentials'), `prometheus:${PASSWORD}\n`, { mode: 0o600 });
  writeFileSync(join(stack.directory, 'bearer.credentials'), `${TOKEN}\n`, { mode: 0o600 });
  try {
    const basic = await stack.startServe({ config: { ops: `  listen: "127.0.0.1:0"\n  auth: basic\n  credentials_file: basic.credentials\n` } });
    const bearer = await stack.startServe({ config: { ops: `  listen: "127.0.0.1:0"\n  auth: bearer\n  credentials_file: bearer.credentials\n` } });
    const basicHeader = (user: string, password: string) => ({ Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });

    for (const path of ['/metrics', '/ready']) {
      const none = await opsGet(basic.opsPort!, path);
      t.is(none.status, 401, `basic ${path} without credentials`);
      t.regex(String(none.headers['www-authenticate']), /^Basic realm="radgate"/);
      t.is((await opsGet(basic.opsPort!, path, basicHeader('prometheus', 'wrong'))).status, 401, `basic ${path}, wrong password`);
      t.is((await opsGet(basic.opsPort!, path, basicHeader('grafana', PASSWORD))).status, 401, `basic ${path}, wrong user`);
      t.is((await opsGet(basic.opsPort!, path, { Authorization: `Bearer ${PASSWORD}` })).status, 401, `basic ${path}, the other scheme`);
      t.is((await opsGet(basic.opsPort!, path, basicHeader('prometheus', PASSWORD))).status, 200, `basic ${path}, right credentials`);

      const missing = await opsGet(bearer.opsPort!, path);
      t.is(missing.status, 401, `bearer ${path} without a token`);
      t.regex(String(missing.headers['www-authenticate']), /^Bearer realm="radgate"/);
      t.is((await opsGet(bearer.opsPort!, path, { Authorization: `Bearer ${TOKEN}x` })).status, 401, `bearer ${path}, wrong token`);
      t.is((await opsGet(bearer.opsPort!, path, { Authorization: `Bearer ${TOKEN}` })).status, 200, `bearer ${path}, right token`);
    }
    const metrics = await opsGet(bearer.opsPort!, '/metrics', { Authorization: `Bearer ${TOKEN}` });
    t.regex(String(metrics.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    t.regex(metrics.body, /^radgate_build_info\{/m);
    t.is((await opsGet(basic.opsPort!, '/health')).status, 200, '/health needs no credentials');
    t.is((await opsGet(basic.opsPort!, '/nowhere', basicHeader('prometheus', PASSWORD))).status, 404);

    const logged = [...basic.lines, ...bearer.lines].join('\n');
    t.regex(logged, /"auth":"basic","msg":"listening for operations"/);
    t.false(logged.includes(PASSWORD));
    t.false(logged.includes(TOKEN));
  } finally {
    await stack.close();
  }
});
