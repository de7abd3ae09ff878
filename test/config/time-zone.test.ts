import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { ConfigError } from '../../src/config/errors.js';
import { parseConfig } from '../../src/config/load.js';
import type { RadgateConfig } from '../../src/config/types.js';
import { runCli } from '../../harness/cli.js';
import { REPO_ROOT } from '../../harness/paths.js';
import { tempDir } from '../../harness/temp.js';

// SPEC "Time": `time_zone`, an IANA name, default the host's; checked when the file is
// loaded, so `serve`, `config check` and every CLI command refuse a zone ICU does not know.

const SECRET = 'a-long-enough-shared-secret';
const MINIMAL = `clients:\n  - name: vpn1\n    address: 10.0.0.0/24\n    secret: ${SECRET}\n`;

function parse(text: string): RadgateConfig {
  return parseConfig(text, { source: 'radgate.yaml', baseDir: tempDir('tz'), env: {} });
}

function fail(text: string): ConfigError {
  try {
    parse(text);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

test('time_zone takes an IANA name, kept as ICU spells it', (t) => {
  t.is(parse(`${MINIMAL}time_zone: Europe/Berlin\n`).timeZone, 'Europe/Berlin');
  t.is(parse(`${MINIMAL}time_zone: europe/berlin\n`).timeZone, 'Europe/Berlin');
  t.is(parse(`${MINIMAL}time_zone: US/Pacific\n`).timeZone, 'America/Los_Angeles');
  t.is(parse(`${MINIMAL}time_zone: UTC\n`).timeZone, 'UTC');
});

test('a zone ICU does not know is refused at load, naming the setting, its line and what to write', (t) => {
  const error = fail(`${MINIMAL}time_zone: Europe/Berln\n`);
  t.is(error.code, 'RADGATE_CONFIG_INVALID');
  t.is(error.path, 'time_zone');
  t.is(error.line, 5);
  t.is(error.message, 'radgate.yaml:5: time_zone: "Europe/Berln" is not a time zone: write an IANA name such as Europe/Berlin, America/Los_Angeles or UTC (timedatectl list-timezones)');
  for (const zone of ['CEST', '"+01:00"', 'local']) t.is(fail(`${MINIMAL}time_zone: ${zone}\n`).path, 'time_zone', zone);
});

test('a zone that is not a string is a schema error; a bad zone is reported with the other problems', (t) => {
  t.regex(fail(`${MINIMAL}time_zone: 5\n`).message, /time_zone: must be a string, not 5/);
  t.regex(fail(`${MINIMAL}time_zone: ""\n`).message, /time_zone: must not be empty/);
  const both = fail(`${MINIMAL}time_zone: Nowhere/Town\npolicy:\n  pin:\n    min_length: 8\n    max_length: 6\n`);
  t.deepEqual(both.issues.map((issue) => issue.path), ['time_zone', 'policy.pin.min_length']);
});

test("without time_zone the host's zone is used: TZ, as a process started there sees it", (t) => {
  const script = `import { parseConfig } from ${JSON.stringify(join(REPO_ROOT, 'dist/src/config/load.js'))};
process.stdout.write(parseConfig(${JSON.stringify(MINIMAL)}, { source: 'x', baseDir: '/', env: {} }).timeZone);`;
  for (const zone of ['Asia/Tokyo', 'America/Los_Angeles']) {
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, TZ: zone }, encoding: 'utf8' });
    t.is(child.status, 0, child.stderr);
    t.is(child.stdout, zone);
  }
});

test('config check refuses an unknown zone with exit 1 and the line to fix', async (t) => {
  const path = join(tempDir('tz'), 'radgate.yaml');
  writeFileSync(path, `${MINIMAL}time_zone: Europe/Berln\n`);
  const result = await runCli(['config', 'check', '--config', path]);
  t.is(result.exitCode, 1);
  t.true(result.stderr.includes(`${path}:5: time_zone: "Europe/Berln" is not a time zone`), result.stderr);
});
