import { readFileSync } from 'node:fs';
import test from 'ava';
import { CONFIG_ERROR_CODES } from '../../src/config/errors.js';
import { RadiusErrorCode } from '../../src/protocol/index.js';
import { REDIS_PROCESS_ERROR_CODES } from '../../src/store/redis-process.js';
import { REPO_ROOT } from '../helpers/gateway.js';

// fastify's habit: an error code that is not documented is a bug.
const documented = readFileSync(`${REPO_ROOT}docs/ERRORS.md`, 'utf8');

test('every protocol error code is documented in docs/ERRORS.md', (t) => {
  for (const code of Object.values(RadiusErrorCode)) t.true(documented.includes(`\`${code}\``), code);
});

test('every configuration error code is documented in docs/ERRORS.md', (t) => {
  for (const code of Object.keys(CONFIG_ERROR_CODES)) t.true(documented.includes(`\`${code}\``), code);
});

test('every embedded-Redis error code is documented in docs/ERRORS.md', (t) => {
  for (const code of Object.keys(REDIS_PROCESS_ERROR_CODES)) t.true(documented.includes(`\`${code}\``), code);
});
