import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import { parse } from 'yaml';
import { DEFAULT_OPS_PORT } from '../../src/config/config-checks.js';
import { parseConfig } from '../../src/config/load.js';
import { createKeyFile } from '../../src/keys/key-file.js';
import { REPO_ROOT } from '../../harness/paths.js';
import { tempDir } from '../../harness/temp.js';

// No Docker engine and no systemd run here, so the deployment files are checked as they
// stand: every file they name exists, the command they run is the one package.json ships,
// and the settings the README promises are in them (README "Deployment").

const run = promisify(execFile);
const repoFile = (path: string): string => join(REPO_ROOT, path);
const packageJson = JSON.parse(readFileSync(repoFile('package.json'), 'utf8')) as { bin: { radgate: string }; scripts: Record<string, string> };

interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

/** The Dockerfile's instructions, continuation lines joined and comments left out. */
function dockerfile(): Instruction[] {
  const joined = readFileSync(repoFile('Dockerfile'), 'utf8')
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('#'))
    .join('\n')
    .replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => {
      const [keyword, ...rest] = line.split(/\s+/);
      return { keyword: keyword!.toUpperCase(), args: rest.join(' ') };
    });
}

function finalStage(instructions: Instruction[]): Instruction[] {
  const froms = instructions.flatMap((instruction, index) => (instruction.keyword === 'FROM' ? [index] : []));
  return instructions.slice(froms.at(-1));
}
const execForm = (instruction: Instruction | undefined): string[] => JSON.parse(instruction?.args ?? 'null') as string[];

test('Dockerfile: every COPY source exists, the build script is there, and it runs the bin package.json ships', (t) => {
  const instructions = dockerfile();
  for (const copy of instructions.filter((i) => i.keyword === 'COPY' && !i.args.startsWith('--from'))) {
    const sources = copy.args.split(/\s+/).slice(0, -1);
    for (const source of sources) t.true(existsSync(repoFile(source)), `COPY ${source}`);
  }
  t.true(instructions.some((i) => i.keyword === 'RUN' && i.args === 'npm run build'));
  t.truthy(packageJson.scripts.build);
  const final = finalStage(instructions);
  const entrypoint = execForm(final.find((i) => i.keyword === 'ENTRYPOINT'));
  t.deepEqual(entrypoint, ['/usr/bin/tini', '--', 'node', packageJson.bin.radgate], 'tini as PID 1, then the bin');
  t.true(existsSync(repoFile(packageJson.bin.radgate)), 'the bin is what the build makes');
  t.true(final.some((i) => i.keyword === 'RUN' && /apt-get install .*\btini\b/.test(i.args)), 'tini is installed in the image that runs it');
  t.deepEqual(execForm(final.find((i) => i.keyword === 'CMD')), ['serve', '--config', '/etc/radgate/radgate.yaml']);
  t.true(final.some((i) => i.keyword === 'COPY' && i.args.startsWith('--from=build /app/dist/src')), 'the built code, from the build stage');
});

test('Dockerfile: the image runs as a user that is not root, with a health check against /health', (t) => {
  const final = finalStage(dockerfile());
  const users = final.filter((i) => i.keyword === 'USER').map((i) => i.args);
  t.is(users.at(-1), 'node');
  const healthcheck = final.find((i) => i.keyword === 'HEALTHCHECK');
  t.truthy(healthcheck);
  t.regex(healthcheck!.args, /--interval=\d+s .*CMD \[/);
  t.true(healthcheck!.args.includes(`http://127.0.0.1:${DEFAULT_OPS_PORT}/health`), 'the ops listener where it listens by default');
});

interface Compose {
  services: Record<string, { image?: string; build?: string; command?: string[]; volumes?: string[]; ports?: string[]; secrets?: string[]; depends_on?: Record<string, unknown> }>;
  volumes: Record<string, unknown>;
  secrets: Record<string, { file: string }>;
}

test('docker-compose.yml: Redis with AOF always and noeviction on a volume; radgate with its config, key and secrets', (t) => {
  const compose = parse(readFileSync(repoFile('docker-compose.yml'), 'utf8')) as Compose;
  const { redis, radgate } = compose.services;
  t.truthy(redis);
  t.truthy(radgate);
  const redisCommand = redis!.command!.join(' ');
  t.regex(redisCommand, /--appendonly yes/);
  t.regex(redisCommand, /--appendfsync always/);
  t.regex(redisCommand, /--maxmemory-policy noeviction/);
  t.is(radgate!.build, '.');
  t.true(existsSync(repoFile('Dockerfile')));
  t.deepEqual(radgate!.depends_on, { redis: { condition: 'service_healthy' } });
  // Every named volume used is declared; every folder mounted exists.
  for (const volume of [...redis!.volumes!, ...radgate!.volumes!]) {
    const [source] = volume.split(':');
    if (source!.startsWith('.')) t.true(existsSync(repoFile(source!)), `mounted ${source}`);
    else t.true(source! in compose.volumes, `volume ${source} declared`);
  }
  t.true(redis!.volumes!.some((volume) => volume.endsWith(':/data')), "Redis's AOF on the volume");
  t.deepEqual(radgate!.volumes, ['./deploy/compose:/etc/radgate:ro'], 'the CMD reads /etc/radgate/radgate.yaml');
  for (const secret of radgate!.secrets!) t.truthy(compose.secrets[secret], `secret ${secret} declared`);
  t.deepEqual(radgate!.ports, ['1812:1812/udp']);
});

test('the config compose mounts is valid, listens on the published port and reads the compose secrets', (t) => {
  const compose = parse(readFileSync(repoFile('docker-compose.yml'), 'utf8')) as Compose;
  // The secrets stand in for /run/secrets: what the container would see.
  const secrets = tempDir('compose-secrets');
  createKeyFile(join(secrets, 'radgate_key'));
  writeFileSync(join(secrets, 'nas_secret'), 'a-nas-secret-of-twenty-four\n', { mode: 0o600 });
  const text = readFileSync(repoFile('deploy/compose/radgate.yaml'), 'utf8');
  t.true(text.includes('/run/secrets/radgate_key') && text.includes('/run/secrets/nas_secret'));
  for (const name of Object.keys(compose.secrets)) t.true(text.includes(`/run/secrets/${name}`), `the config reads secret ${name}`);
  const config = parseConfig(text.replaceAll('/run/secrets/', `${secrets}/`), { source: 'radgate.yaml', baseDir: repoFile('deploy/compose'), env: {} });
  t.is(config.redis.url, 'redis://redis:6379', 'the compose service');
  t.false(config.keys.createIfMissing, 'the key is the admin’s, made once');
  t.like(config.ops.listen, { host: '127.0.0.1', port: DEFAULT_OPS_PORT }, "the HEALTHCHECK's address, inside the container");
  const published = compose.services.radgate!.ports!.map((port) => Number(port.split(':')[1]!.split('/')[0]));
  t.deepEqual([...new Set(config.listen.map((address) => address.port))], published);
});

test('deploy/radgate.service passes systemd-analyze verify and has the promised hardening', async (t) => {
  // systemd-analyze checks what it can without a running systemd: the syntax, every key,
  // and that ExecStart's program exists. .ci/run installs systemd when it is missing.
  const directory = tempDir('systemd');
  const unit = join(directory, 'radgate.service');
  copyFileSync(repoFile('deploy/radgate.service'), unit);
  const verified = await run('systemd-analyze', ['verify', unit]).then(
    ({ stderr }) => ({ code: 0, stderr }),
    (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
  );
  const aboutOurs = verified.stderr.split('\n').filter((line) => line.includes('radgate.service'));
  t.deepEqual(aboutOurs, [], 'no warning about the unit');
  t.is(verified.code, 0, verified.stderr);
  const text = readFileSync(unit, 'utf8');
  const settings = new Map(text.split('\n').filter((line) => /^\w+=/.test(line)).map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
  t.is(settings.get('User'), 'radgate');
  t.is(settings.get('Restart'), 'on-failure');
  t.is(settings.get('ExecReload'), '/bin/kill -HUP $MAINPID');
  t.is(settings.get('NoNewPrivileges'), 'yes');
  t.is(settings.get('ProtectSystem'), 'strict');
  t.is(settings.get('PrivateTmp'), 'yes');
  t.is(settings.get('ReadWritePaths'), '/var/lib/radgate');
  t.true(settings.get('ExecStart')!.endsWith(`/${packageJson.bin.radgate} serve --config /etc/radgate/radgate.yaml`));
});
