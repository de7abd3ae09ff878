/**
 * FreeRADIUS 3.2 (Debian's `freeradius`) run from a private copy of the system
 * configuration: shared by the benchmark baseline (bench/freeradius.ts) and the tests that
 * use it as a real peer (test/radsec/freeradius.test.ts). Each edit says why:
 *
 * - radiusd.conf: raddbdir, logdir and run_dir point into the copy; no `user`/`group`
 *   (it would drop to freerad, which cannot read a private temp directory);
 *   `reject_delay = 0`, as radgate's reject_delay_ms, so a reject is an answer and not a sleep;
 * - sites-enabled/inner-tunnel removed (EAP tunnels are not used).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SYSTEM_FREERADIUS_CONFIG = process.env.BENCH_FREERADIUS_CONFIG ?? '/etc/freeradius/3.0';

/** `freeradius -v` works and the system configuration is there to copy. */
export function freeradiusAvailable(): { available: boolean; version: string } {
  const result = spawnSync('freeradius', ['-v'], { encoding: 'utf8' });
  if (result.error !== undefined || result.status !== 0) return { available: false, version: '' };
  const version = /FreeRADIUS Version ([\d.]+)/.exec(result.stdout)?.[1] ?? 'unknown';
  try {
    readFileSync(join(SYSTEM_FREERADIUS_CONFIG, 'radiusd.conf'));
  } catch {
    return { available: false, version };
  }
  return { available: true, version };
}

/** A private copy of the system configuration (see the module comment), in a new temporary directory. */
export function privateFreeradiusConfig(prefix: string): { directory: string; cleanUp(): void } {
  const directory = mkdtempSync(join(tmpdir(), `${prefix}-`));
  const cleanUp = () => rmSync(directory, { recursive: true, force: true });
  try {
    cpSync(SYSTEM_FREERADIUS_CONFIG, directory, { recursive: true, verbatimSymlinks: true });
    mkdirSync(join(directory, 'log'), { recursive: true });
    mkdirSync(join(directory, 'run'), { recursive: true });
    const radiusd = join(directory, 'radiusd.conf');
    writeFileSync(
      radiusd,
      readFileSync(radiusd, 'utf8')
      .replace(/^raddbdir\s*=.*$/m, `raddbdir = ${directory}`)
      .replace(/^logdir\s*=.*$/m, `logdir = ${join(directory, 'log')}`)
      .replace(/^run_dir\s*=.*$/m, `run_dir = ${join(directory, 'run')}`)
      .replace(/^(\s*)(user|group)\s*=/gm, '$1#$2 =')
        .replace(/^(\s*)reject_delay\s*=\s*\S+/m, '$1reject_delay = 0'),
    );
    rmSync(join(directory, 'sites-enabled', 'inner-tunnel'), { force: true });
    return { directory, cleanUp };
  } catch (error) {
    cleanUp();
    throw error;
  }
}

/**
 * `freeradius -C`: throws when it refuses the configuration in `directory`. `-C` alone says
 * nothing, so the reason comes from `-C -X`: its last lines, without any line that names a
 * secret (the debug dump prints configuration items).
 */
export function checkFreeradiusConfig(directory: string): void {
  const check = spawnSync('freeradius', ['-C', '-d', directory], { encoding: 'utf8' });
  if (check.status === 0) return;
  const debug = spawnSync('freeradius', ['-C', '-X', '-d', directory], { encoding: 'utf8' });
  const lines = `${debug.stdout}${debug.stderr}`.split('\n').filter((line) => !/secret|psk|password|passphrase/i.test(line));
  throw new Error(`freeradius -C refused the configuration:\n${lines.slice(-15).join('\n')}`);
}
