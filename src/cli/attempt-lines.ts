import type { AttemptView } from '../admin/audit-reader.js';
import { humanDate } from './output.js';

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

export const ATTEMPT_HEADER = ['TIME', 'OUTCOME', 'CLIENT', 'NAS', 'NAS-ID', 'CALLING-STATION', 'PORT'] as const;

/** One row of an attempts table (`user show`), dates in the helpdesk's zone. */
export function attemptRow(attempt: AttemptView, timeZone: string): string[] {
  return [humanDate(attempt.at, timeZone), attemptOutcome(attempt), ...attemptSource(attempt)];
}
