/**
 * Waits until `check` returns something other than undefined or false, looking again every
 * `everyMs` (a condition wait: it ends as soon as the condition holds), and fails with
 * `what` and the last error after `timeoutMs`.
 */
export async function until<T>(what: string, timeoutMs: number, check: () => T | undefined | false | Promise<T | undefined | false>, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
      last = undefined;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`${what}: not after ${timeoutMs} ms${last instanceof Error ? ` (last error: ${last.message})` : ''}`);
    }
    await sleep(everyMs);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
