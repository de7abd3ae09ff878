import { existsSync } from 'node:fs';
import { RadgateError } from '../errors.js';

export const DEFAULT_CONFIG_PATHS = ['./radgate.yaml', '/etc/radgate/radgate.yaml'] as const;

/**
 * Which config file a command uses: `--config`, then `RADGATE_CONFIG`, then the first of
 * ./radgate.yaml and /etc/radgate/radgate.yaml that exists.
 */
export function locateConfigFile(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit !== undefined && explicit !== '') return explicit;
  const fromEnv = env.RADGATE_CONFIG;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const found = DEFAULT_CONFIG_PATHS.find((path) => existsSync(path));
  if (found !== undefined) return found;
  throw new RadgateError(
    'RADGATE_CLI_NO_CONFIG',
    `no configuration file: pass --config FILE, set RADGATE_CONFIG, or create ${DEFAULT_CONFIG_PATHS.join(' or ')} ` +
      '(config/radgate.example.yaml documents every key; config/quickstart.yaml is a loopback-only demo)',
  );
}
