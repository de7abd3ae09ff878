import { fileURLToPath } from 'node:url';

/** The repository root, from dist/harness/ (compiled) two levels up. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The built `radgate` command, as an admin runs it. */
export const RADGATE_BIN = `${REPO_ROOT}dist/src/cli/main.js`;
