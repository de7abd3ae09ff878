import type { AttemptView } from './audit-reader.js';

/** A login attempt in words, the same in the CLI's tables and the console's pages. */

/** What came of an attempt, in a word or three: the method that got in, or why not. */
export function attemptOutcome(attempt: AttemptView): string {
  if (attempt.result === 'accept') return `accept ${attempt.method ?? '?'}${attempt.codeId === null ? '' : ` (id ${attempt.codeId})`}`;
  if (attempt.result === 'challenge') return 'challenge sent';
  return `reject ${attempt.reason ?? '?'}${attempt.lockedNow ? ', now locked' : ''}`;
}

/** Where an attempt came from, the attributes the NAS sent, `-` for one it did not. */
export function attemptSource(attempt: AttemptView): string[] {
  return [attempt.client, attempt.nasAddress ?? '-', attempt.nasIdentifier ?? '-', attempt.callingStationId ?? '-', attempt.nasPort === null ? '-' : String(attempt.nasPort)];
}
