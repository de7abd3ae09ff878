/**
 * The FreeRADIUS rows of the end-to-end bench, each with accept, wrong-password reject and
 * Status-Server scenarios:
 *
 * - **files-PAP**: the password from the `files` module, no store round trip at all;
 * - **+ rlm_redis**: the password from a redis-server of its own, one `%{redis:HGET …}` per
 *   request in `authorize` — the peer doing the job radgate does (issue 15). Its CPU is
 *   FreeRADIUS's and its redis-server's, as radgate's is the gateway's and its Redis's.
 *
 * The bench installs no packages: a baseline whose parts are missing is skipped with a
 * progress line saying what to install.
 */
import type { Baseline, Scenario, Server } from './cells.js';
import { freeradiusAvailable, rlmRedisAvailable, startFreeradius, startFreeradiusWithRedis } from './freeradius.js';
import { CpuMeter } from './proc-stats.js';
import { FixedLogin, StatusChecks } from './scenarios.js';

export type BaselineKind = 'files' | 'redis';

export interface FreeradiusBaseline {
  readonly kind: BaselineKind;
  readonly server: Server;
  /** Its scenario for each kind of radgate scenario (accept, reject, Status-Server). */
  readonly scenarios: Record<Baseline, Scenario>;
  stop(): Promise<void>;
}

export interface BaselineOptions {
  readonly secret: Buffer;
  /** BENCH_FREERADIUS: false skips both. */
  readonly enabled: boolean;
  readonly progress: (line: string) => void;
}

const PASSWORD = 'Correct-Horse-Battery-7';

function scenariosFor(prefix: string): Record<Baseline, Scenario> {
  return {
    pap: { label: `${prefix} (accept)`, workload: new FixedLogin('bench', PASSWORD, 'accept'), baseline: 'pap' },
    'pap-wrong': { label: `${prefix}, wrong password (reject)`, workload: new FixedLogin('bench', 'not-the-password', 'reject'), baseline: 'pap-wrong' },
    status: { label: 'Status-Server', workload: new StatusChecks(), baseline: 'status' },
  };
}

/** Starts the baselines that can run here; the version is '' when FreeRADIUS is not installed. */
export async function startBaselines(options: BaselineOptions): Promise<{ baselines: FreeradiusBaseline[]; version: string }> {
  const { progress } = options;
  const fr = freeradiusAvailable();
  if (!options.enabled || !fr.available) {
    progress(options.enabled ? 'freeradius is not installed: no baselines, no ratios' : 'BENCH_FREERADIUS=0: no baselines');
    return { baselines: [], version: fr.version };
  }
  const users = [{ name: 'bench', password: PASSWORD }];
  const baselines: FreeradiusBaseline[] = [];
  try {
    const files = await startFreeradius({ secret: options.secret, users });
    baselines.push({
      kind: 'files',
      server: { label: `FreeRADIUS ${fr.version}, files`, target: files.target, gateway: new CpuMeter(() => [files.process.pid]), redis: undefined },
      scenarios: scenariosFor('files PAP'),
      stop: () => files.stop(),
    });
    if (rlmRedisAvailable()) {
      const withRedis = await startFreeradiusWithRedis({ secret: options.secret, users });
      baselines.push({
        kind: 'redis',
        server: {
          label: `FreeRADIUS ${fr.version} + rlm_redis`,
          target: withRedis.freeradius.target,
          gateway: new CpuMeter(() => [withRedis.freeradius.process.pid]),
          redis: new CpuMeter(() => [withRedis.redis.pid()!]),
        },
        scenarios: scenariosFor('PAP from Redis'),
        stop: () => withRedis.stop(),
      });
    } else {
      progress('rlm_redis is not installed (Debian: apt-get install freeradius-redis): no FreeRADIUS + rlm_redis row, no "÷ FR+redis" ratios');
    }
  } catch (error) {
    for (const baseline of baselines) await baseline.stop();
    throw error;
  }
  return { baselines, version: fr.version };
}
