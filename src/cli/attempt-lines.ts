import { attemptOutcome, attemptSource } from '../admin/attempt-text.js';
import type { AttemptView } from '../admin/audit-reader.js';
import { humanDate } from './output.js';

export const ATTEMPT_HEADER = ['TIME', 'OUTCOME', 'CLIENT', 'NAS', 'NAS-ID', 'CALLING-STATION', 'PORT'] as const;

/** One row of an attempts table (`user show`), dates in the helpdesk's zone. */
export function attemptRow(attempt: AttemptView, timeZone: string): string[] {
  return [humanDate(attempt.at, timeZone), attemptOutcome(attempt), ...attemptSource(attempt)];
}
