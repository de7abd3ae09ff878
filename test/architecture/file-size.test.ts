import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { REPO_ROOT } from '../../harness/paths.js';

// A file does one job, and a long file is a sign two jobs share it (STYLE.md). A file may
// be longer than this when its first line says why, as `// Over 400 lines: <reason>`.
const LIMIT = 400;

function typescriptFiles(directory: string): string[] {
  return readdirSync(join(REPO_ROOT, directory), { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return typescriptFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

test(`no source, test or benchmark file is over ${LIMIT} lines without a one-line reason at its top`, (t) => {
  const long = ['src', 'test', 'bench', 'harness'].flatMap(typescriptFiles).flatMap((file) => {
    const lines = readFileSync(join(REPO_ROOT, file), 'utf8').split('\n');
    const count = lines.at(-1) === '' ? lines.length - 1 : lines.length;
    return count > LIMIT && !/^\/\/ Over \d+ lines: \S/.test(lines[0]!) ? [`${file} (${count} lines)`] : [];
  });
  t.deepEqual(long, []);
});
