import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import test from 'ava';
import { REPO_ROOT } from '../../harness/paths.js';

// The folder tree is the architecture (README "Design"); these rules keep it true. Each
// import of every TypeScript file is read from the source and resolved to the file it
// names.

interface Import {
  /** The importing file, relative to the repository root. */
  readonly from: string;
  /** The imported file, relative to the repository root, or the bare specifier. */
  readonly to: string;
  readonly typeOnly: boolean;
}

function typescriptFiles(directory: string): string[] {
  return readdirSync(join(REPO_ROOT, directory), { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return typescriptFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

const IMPORT = /^\s*(import|export)\s+(type\s+)?([^'"]*?)\s*from\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm;

function importsOf(file: string): Import[] {
  const text = readFileSync(join(REPO_ROOT, file), 'utf8');
  const imports: Import[] = [];
  for (const match of text.matchAll(IMPORT)) {
    const specifier = match[4] ?? match[5] ?? match[6]!;
    // `import type { … }`, or `import { type A, type B }` with every name a type.
    const names = match[3] ?? '';
    const everyNameAType = /^\{[^}]*\}$/.test(names.trim()) && names.replace(/[{}\s]/g, '').split(',').filter(Boolean).every((name) => name.startsWith('type'));
    const typeOnly = match[2] !== undefined || (match[1] === 'import' && everyNameAType);
    const to = specifier.startsWith('.') ? relative(REPO_ROOT, resolve(REPO_ROOT, dirname(file), specifier)).replace(/\.js$/, '.ts') : specifier;
    imports.push({ from: file, to, typeOnly });
  }
  return imports;
}

const all = ['src', 'test', 'bench', 'harness'].flatMap(typescriptFiles).flatMap(importsOf);
const under = (path: string, folder: string): boolean => path === folder || path.startsWith(`${folder}/`);
const describe = (list: readonly Import[]): string[] => list.map(({ from, to, typeOnly }) => `${from} → ${to}${typeOnly ? ' (type)' : ''}`);

test('the reader sees the imports: a known file has the ones it has', (t) => {
  const policy = all.filter((entry) => entry.from === 'src/login/radius-policy.ts');
  t.true(policy.some((entry) => entry.to === 'src/transport/request-handler.ts' && entry.typeOnly));
  t.true(policy.some((entry) => entry.to === 'node:perf_hooks'));
  t.true(all.length > 300);
});

test('protocol/ imports nothing outside itself (Node built-ins aside): the codec is pure', (t) => {
  const outside = all.filter(({ from, to }) => under(from, 'src/protocol') && !under(to, 'src/protocol') && !to.startsWith('node:'));
  t.deepEqual(describe(outside), []);
});

test('store/ imports nothing from login, admin, transport, serve, console or cli', (t) => {
  const forbidden = ['src/login', 'src/admin', 'src/transport', 'src/serve', 'src/console', 'src/cli'];
  t.deepEqual(describe(all.filter(({ from, to }) => under(from, 'src/store') && forbidden.some((folder) => under(to, folder)))), []);
});

test('only the RADIUS policy imports the transport contract, and only its types', (t) => {
  const users = all.filter(({ from, to }) => to === 'src/transport/request-handler.ts' && under(from, 'src') && !under(from, 'src/transport'));
  t.deepEqual(describe(users), ['src/login/radius-policy.ts → src/transport/request-handler.ts (type)']);
});

test('each layer imports only downwards', (t) => {
  const rules: [string, string[]][] = [
    // Shared building blocks know no caller.
    ['src/credentials', ['src/console', 'src/login', 'src/admin', 'src/store', 'src/transport', 'src/serve', 'src/cli', 'src/embedded-redis']],
    ['src/keys', ['src/console', 'src/login', 'src/admin', 'src/store', 'src/transport', 'src/serve', 'src/cli']],
    // The certificate tooling knows nothing of RADIUS or the store.
    ['src/certs', ['src/login', 'src/admin', 'src/store', 'src/transport', 'src/serve', 'src/config', 'src/protocol']],
    ['src/config', ['src/console', 'src/login', 'src/admin', 'src/store', 'src/transport', 'src/serve', 'src/cli']],
    // The transport serves any policy; the login and the admin side are strangers.
    ['src/transport', ['src/console', 'src/login', 'src/admin', 'src/store', 'src/serve', 'src/cli']],
    ['src/login', ['src/console', 'src/admin', 'src/serve', 'src/cli']],
    ['src/admin', ['src/console', 'src/login', 'src/transport', 'src/serve', 'src/cli']],
    ['src/embedded-redis', ['src/console', 'src/login', 'src/admin', 'src/store', 'src/transport', 'src/serve', 'src/cli']],
    ['src/client', ['src/console', 'src/login', 'src/admin', 'src/store', 'src/serve', 'src/cli']],
    // The web console is a client of the admin services, like the CLI: nothing below knows it,
    // and it reaches neither the RADIUS path nor the wiring.
    ['src/console', ['src/login', 'src/transport', 'src/serve', 'src/cli', 'src/embedded-redis', 'src/protocol', 'src/client']],
    // The shared web stack (HTTPS, CSP, cookies, CSRF, error pages, layout) serves any web
    // app and knows none of them, nor anything behind them.
    ['src/web', ['src/console', 'src/self-service', 'src/login', 'src/admin', 'src/store', 'src/transport', 'src/serve', 'src/cli', 'src/protocol', 'src/client', 'src/embedded-redis']],
    // The self-service pages render the SelfService interface's answers: they know neither
    // the helpdesk console nor the RADIUS path nor the wiring.
    ['src/self-service/web', ['src/console', 'src/admin', 'src/store', 'src/login', 'src/transport', 'src/serve', 'src/cli', 'src/embedded-redis', 'src/protocol', 'src/client']],
    // Nothing below knows the web apps.
    ['src/credentials', ['src/web', 'src/self-service']],
    ['src/store', ['src/web', 'src/self-service/web']],
    // SMS delivery knows its config and nothing of who sends codes or why.
    ['src/sms', ['src/console', 'src/login', 'src/admin', 'src/store', 'src/transport', 'src/serve', 'src/cli', 'src/self-service', 'src/web']],
    // The self-service actions stand on the admin services, like the console: nothing of the
    // RADIUS path, the wiring or the helpdesk's own tools.
    ['src/self-service', ['src/console', 'src/login', 'src/transport', 'src/serve', 'src/cli']],
    // Wiring is done once, in serve/; the CLI calls it.
    ['src/serve', ['src/cli']],
  ];
  for (const [folder, forbidden] of rules) {
    const broken = all.filter(({ from, to }) => under(from, folder) && forbidden.some((other) => under(to, other)));
    t.deepEqual(describe(broken), [], folder);
  }
});

test('production code never imports tests, benchmarks or the harness', (t) => {
  t.deepEqual(describe(all.filter(({ from, to }) => under(from, 'src') && (under(to, 'test') || under(to, 'bench') || under(to, 'harness')))), []);
});

test('tests and benchmarks share one harness: neither imports the other, and the harness imports neither', (t) => {
  t.deepEqual(describe(all.filter(({ from, to }) => under(from, 'test') && under(to, 'bench'))), []);
  t.deepEqual(describe(all.filter(({ from, to }) => under(from, 'bench') && under(to, 'test'))), []);
  t.deepEqual(describe(all.filter(({ from, to }) => under(from, 'harness') && (under(to, 'test') || under(to, 'bench')))), [], 'the harness imports no test or benchmark');
});
