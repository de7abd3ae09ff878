// ava's own timeout (no test may go this long without progress) follows the same setting
// as every wait in the tests (harness/patience.ts): RADGATE_TEST_PATIENCE, default 4.
const patience = Number(process.env.RADGATE_TEST_PATIENCE ?? '') || 4;

export default {
  files: ['dist/test/**/*.test.js'],
  timeout: `${Math.round(15 * patience)}s`,
  workerThreads: false,
};
