import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { guardChild } from '../../src/child-guard.js';
import { SECRET_ENV } from '../../harness/config.js';
import { RADGATE_BIN } from '../../harness/paths.js';
import { OPERATOR, startStack, type Stack } from '../../harness/stack.js';
import { tempDir } from '../../harness/temp.js';

// What the CLI prints, as a shell sees it: tables whose columns line up, and a pipe closed
// by its reader (`| head`) that ends the command quietly, with the status a tool ended by
// SIGPIPE has (128 + 13), never a stack trace.

let stack: Stack;

test.before(async () => {
  stack = await startStack();
});

test.after.always(async () => {
  await stack.close();
});

interface Pipeline {
  /** What the reader (`head`) printed. */
  readonly stdout: string;
  /** radgate's own stderr. */
  readonly stderr: string;
  /** radgate's exit status, from bash's PIPESTATUS. */
  readonly status: number;
}

/** `radgate ARGS | READER` in bash, as an operator types it. */
function pipeline(args: readonly string[], reader: string): Promise<Pipeline> {
  const errors = join(tempDir('pipe'), 'radgate.stderr');
  const script = `"$RADGATE_NODE" "$RADGATE_BIN" "$@" 2>"$RADGATE_ERRORS" | ${reader}; echo "\${PIPESTATUS[0]}" >&2`;
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script, 'radgate', ...args, '--config', stack.configPath, '--operator', OPERATOR.operator], {
      env: { ...process.env, ...SECRET_ENV, RADGATE_NODE: process.execPath, RADGATE_BIN, RADGATE_ERRORS: errors },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    guardChild(child);
    let stdout = '';
    let status = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (status += chunk.toString()));
    child.on('error', reject);
    child.on('close', () => resolve({ stdout, stderr: readFileSync(errors, 'utf8'), status: Number(status.trim()) }));
  });
}

/** Where each column of a table starts: the offsets of its header's titles. */
function columnStarts(header: string): number[] {
  return [...header.matchAll(/\S+/g)].map((match) => match.index);
}

/** The cells of a table row, cut at the header's column offsets. */
function cells(row: string, starts: readonly number[]): string[] {
  return starts.map((start, i) => row.slice(start, starts[i + 1]).trimEnd());
}

test.serial('user list prints a table whose columns line up, whatever the lengths of the names', async (t) => {
  const { service } = stack.admin;
  await service.addUser('al', undefined, OPERATOR);
  await service.addUser('bartholomew.fitzgerald-longname', '4821', OPERATOR);
  const { serial } = await service.assignToken('bartholomew.fitzgerald-longname', {}, OPERATOR);
  await service.issueCodes('bartholomew.fitzgerald-longname', { kind: 'emergency-passcode' }, OPERATOR);
  await service.addUser('cy', '1357', OPERATOR);
  await service.disableUser('cy', OPERATOR);

  const listed = await pipeline(['user', 'list'], 'cat');
  t.is(listed.status, 0, listed.stderr);
  t.is(listed.stderr, '3 users\n');
  const [header, ...rows] = listed.stdout.trimEnd().split('\n');
  const starts = columnStarts(header!);
  t.deepEqual(cells(header!, starts), ['USER', 'STATUS', 'PIN', 'TOKEN', 'CODES']);
  for (const row of rows) {
    for (const start of starts.slice(1)) {
      t.is(row.slice(start - 2, start), '  ', `two spaces before each column: ${JSON.stringify(row)}`);
      t.not(row[start], ' ', `each cell starts at its column: ${JSON.stringify(row)}`);
    }
  }
  t.deepEqual(
    rows.map((row) => cells(row, starts)),
    [
      ['al', 'active', '-', '-', '0'],
      ['bartholomew.fitzgerald-longname', 'active', 'set', `totp ${serial} active`, '1'],
      ['cy', 'disabled', 'set', '-', '0'],
    ],
  );
});

test.serial('a pipe closed by its reader ends user list and code list quietly, with status 141', async (t) => {
  // Far more output than a pipe holds (64 KiB) and than head reads before it exits, so
  // radgate is still writing when the reader goes away, whatever the timing.
  const { service } = stack.admin;
  const names = Array.from({ length: 1200 }, (_, i) => `${'p'.repeat(200)}-${String(i).padStart(4, '0')}`);
  for (let i = 0; i < names.length; i += 50) await Promise.all(names.slice(i, i + 50).map((name) => service.addUser(name, '2468', OPERATOR)));
  await service.addUser('coder', '2468', OPERATOR);
  await service.assignToken('coder', {}, OPERATOR);
  for (let i = 0; i < 15; i++) await service.issueCodes('coder', { kind: 'emergency-tokencode', count: 100 }, { operator: OPERATOR.operator, reason: 'r'.repeat(150) });

  const cases: [string, string[], string, (stdout: string) => void][] = [
    ['user list --json | head -3', ['user', 'list', '--json'], 'head -3', (stdout) => {
      const lines = stdout.trimEnd().split('\n');
      t.is(lines.length, 3);
      for (const line of lines) t.truthy((JSON.parse(line) as { name: string }).name);
    }],
    ['user list | head -3', ['user', 'list'], 'head -3', (stdout) => {
      const lines = stdout.trimEnd().split('\n');
      t.is(lines.length, 3);
      t.regex(lines[0]!, /^USER +STATUS +PIN +TOKEN +CODES$/);
    }],
    ['code list | head -2', ['code', 'list', 'coder'], 'head -2', (stdout) => t.regex(stdout, /^ID +KIND +STATE/)],
    ['code list --json | head -c 100', ['code', 'list', 'coder', '--json'], 'head -c 100', (stdout) => t.is(stdout, stdout.slice(0, 100))],
  ];
  for (const [name, args, reader, check] of cases) {
    const result = await pipeline(args, reader);
    t.is(result.status, 141, `${name}: ${result.stderr}`);
    t.is(result.stderr, '', `${name}: nothing on stderr, no stack trace`);
    check(result.stdout);
  }
});

test.serial('a reader that takes everything gets everything, and status 0', async (t) => {
  const result = await pipeline(['user', 'list', '--json'], 'wc -l');
  t.is(result.status, 0, result.stderr);
  t.is(Number(result.stdout.trim()), 1200 + 4);
});
