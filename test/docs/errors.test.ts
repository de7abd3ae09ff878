import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { ERROR_CODES } from '../../src/errors.js';
import { RadiusErrorCode } from '../../src/protocol/index.js';
import { REPO_ROOT } from '../../harness/paths.js';

// fastify's habit: an error code that is not documented is a bug.
const documented = readFileSync(`${REPO_ROOT}docs/ERRORS.md`, 'utf8');

test('every protocol error code is documented in docs/ERRORS.md', (t) => {
  for (const code of Object.values(RadiusErrorCode)) t.true(documented.includes(`\`${code}\``), code);
});

test('every radgate error code is documented in docs/ERRORS.md', (t) => {
  for (const code of ERROR_CODES) t.true(documented.includes(`\`${code}\``), code);
});

test('every code in docs/ERRORS.md is one radgate has: the list is the registry, no more', (t) => {
  const known = new Set<string>([...ERROR_CODES, ...Object.values(RadiusErrorCode)]);
  const listed = [...documented.matchAll(/^\| `(RADGATE_[A-Z_]+)` \|/gm)].map((match) => match[1]!);
  t.true(listed.length >= ERROR_CODES.length);
  t.deepEqual(listed.filter((code) => !known.has(code)), []);
});

/** Every .ts file under src/, relative to the repository root. */
function sourceFiles(directory = join(REPO_ROOT, 'src')): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(directory, entry.name)) : entry.name.endsWith('.ts') ? [join(directory, entry.name)] : [],
  );
}

test('every error class carries a code: it extends RadgateError, or is the codec\'s RadiusError', (t) => {
  const roots = new Set(['RadgateError', 'RadiusError']);
  const classes = sourceFiles().flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(/class (\w+) extends (\w+)/g)].map((match) => ({ file: file.slice(REPO_ROOT.length), name: match[1]!, base: match[2]! })),
  );
  const errorClasses = new Set([...roots]);
  // A class is an error class when its base is one, however deep.
  for (let changed = true; changed; ) {
    changed = false;
    for (const { name, base } of classes) {
      if ((errorClasses.has(base) || base === 'Error') && !errorClasses.has(name)) {
        errorClasses.add(name);
        changed = true;
      }
    }
  }
  const plain = classes.filter(({ name, base }) => base === 'Error' && !roots.has(name));
  t.deepEqual(plain, [], 'only the two roots extend Error directly');
  t.true(errorClasses.size > 5);
});
