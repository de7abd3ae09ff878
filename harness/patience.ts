/**
 * The one setting every wait in the tests derives from. A test waits for something that
 * will happen (a reply, a log line, a node to be promoted) up to `patient(ms)`, where `ms`
 * is what it takes on a quiet machine: generosity costs nothing when the thing happens,
 * and a busy CI machine (other jobs on the same cores) needs it. `RADGATE_TEST_PATIENCE`
 * scales every such wait, and ava's own timeout (ava.config.js) with them.
 */
export const PATIENCE = Number(process.env.RADGATE_TEST_PATIENCE ?? '') || 4;

export function patient(ms: number): number {
  return Math.round(ms * PATIENCE);
}

/** How long to wait for a reply that will come. */
export const REPLY_WAIT_MS = patient(1000);

/**
 * Redis command timeout for test gateways: a busy machine can hold a loopback round trip
 * for hundreds of milliseconds, and a timed-out command would drop a login the test
 * expects to be answered. Tests of the timeout itself set their own.
 */
export const TEST_COMMAND_TIMEOUT_MS = Math.min(5000, patient(500));

/** The gateways' request deadline in tests: above the command timeout, so a slow Redis is a slow answer, not a drop. */
export const TEST_REQUEST_TIMEOUT_MS = Math.min(30_000, TEST_COMMAND_TIMEOUT_MS * 2 + 1000);
