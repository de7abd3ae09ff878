import test from 'ava';
import { parseConfig } from '../../src/config/load.js';
import { compareConfigs } from '../../src/config/reload-diff.js';
import type { RadgateConfig } from '../../src/config/types.js';
import { SECRET_ENV } from '../../harness/config.js';
import { makeRadsecFiles, radsecSection } from '../../harness/radsec.js';
import { tempDir } from '../../harness/temp.js';

// What a reload applies and what it reports as needing a restart (config/reload-diff.ts).

const directory = tempDir('reload-diff');

function config(extra = '', { secret = 'secret_env: TEST_SECRET', listen = '127.0.0.1:1812', url = 'redis://127.0.0.1:6379', workers = 2 } = {}): RadgateConfig {
  const text = `listen: ["${listen}"]
workers: ${workers}
clients:
  - name: nas
    address: 127.0.0.1
    ${secret}
redis:
  url: ${url}
${extra}`;
  return parseConfig(text, { source: `${directory}/radgate.yaml`, baseDir: directory, env: SECRET_ENV });
}

test('the same file changes nothing', (t) => {
  const running = config();
  t.deepEqual(compareConfigs(running, running, config()), { applied: [], needRestart: [] });
});

test('a new secret and policy apply; they are named by key, as in the file', (t) => {
  const running = config();
  const next = config('policy:\n  reject_delay_ms: 250\nlog:\n  level: debug\n', { secret: 'secret: another-secret-of-16+' });
  const changes = compareConfigs(running, running, next);
  t.deepEqual([...changes.applied].sort(), ['clients', 'log.level', 'policy.reject_delay_ms']);
  t.deepEqual(changes.needRestart, []);
});

test('listen, the Redis URL and workers need a restart; values are never shown', (t) => {
  const running = config();
  const next = config('', { listen: '127.0.0.1:1813', url: 'redis://:hunter2-password@127.0.0.1:6380', workers: 4 });
  const changes = compareConfigs(running, running, next);
  t.deepEqual([...changes.needRestart].sort(), ['listen', 'redis.url', 'workers']);
  t.false(JSON.stringify(changes).includes('hunter2'));
});

test('a restart-only change is reported again on the next reload until a restart, compared with what started', (t) => {
  const started = config();
  const first = config('', { listen: '127.0.0.1:1813' });
  const second = config('policy:\n  max_failures: 5\n', { listen: '127.0.0.1:1813' });
  const changes = compareConfigs(first, started, second);
  t.deepEqual(changes.applied, ['policy.max_failures']);
  t.deepEqual(changes.needRestart, ['listen']);
});

test('a section the diff does not know counts as needing a restart, not as applied', (t) => {
  const started = config();
  // A section a later radgate adds (RADIUS over TLS, say) before the diff learns of it.
  const next = { ...config(), radsec: { listen: '127.0.0.1:2083' } } as unknown as RadgateConfig;
  t.deepEqual(compareConfigs(started, started, next).needRestart, ['radsec']);
});

test('the log level applies; the log format, fixed when the log was opened, needs a restart, each reload until then', (t) => {
  const started = config();
  const first = config('log:\n  level: debug\n  format: pretty\n');
  const changes = compareConfigs(started, started, first);
  t.deepEqual(changes.applied, ['log.level']);
  t.deepEqual(changes.needRestart, ['log.format']);
  const again = compareConfigs(first, started, config('log:\n  level: warn\n  format: pretty\n'));
  t.deepEqual(again, { applied: ['log.level'], needRestart: ['log.format'] });
});

test('radsec.handshake_timeout_ms needs a restart (the TLS listener takes it once); other radsec limits apply', async (t) => {
  const files = await makeRadsecFiles();
  const started = config(radsecSection(files));
  const next = config(radsecSection(files, { lines: '  handshake_timeout_ms: 2500\n  max_connections: 10\n' }));
  const changes = compareConfigs(started, started, next);
  t.deepEqual(changes.applied, ['radsec.max_connections']);
  t.deepEqual(changes.needRestart, ['radsec.handshake_timeout_ms']);
});

test('the sms section needs a restart (the self-service sender is built at start); its credentials are never shown', (t) => {
  const running = config('sms:\n  provider: webhook\n  webhook:\n    url: https://sms.example.net/send\n    authorization_env: TEST_SECRET\n');
  const next = config('sms:\n  provider: webhook\n  webhook:\n    url: https://sms.example.net/v2/send\n    authorization_env: TEST_SECRET\n');
  const changes = compareConfigs(running, running, next);
  t.deepEqual(changes, { applied: [], needRestart: ['sms.webhook'] });
  t.deepEqual(compareConfigs(running, running, config()), { applied: [], needRestart: ['sms'] });
});
