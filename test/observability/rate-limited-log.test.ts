import test from 'ava';
import { RateLimitedWarning, type Scheduled } from '../../src/observability/rate-limited-log.js';
import { TestClock } from '../../harness/clock.js';
import { capturingLogger } from '../../harness/logger.js';

const MINUTE = 60_000;

/** A limiter on a clock the test moves, whose scheduled summary the test runs when its time comes. */
function limiter(budget: number): { warnings: RateLimitedWarning; clock: TestClock; lines: () => Record<string, unknown>[]; runDue: () => void; pending: () => number } {
  const clock = new TestClock(1_000_000);
  const { logger, lines } = capturingLogger('info');
  const timers: { at: number; callback: () => void; cancelled: boolean }[] = [];
  const schedule = (callback: () => void, ms: number): Scheduled => {
    const timer = { at: clock.now + ms, callback, cancelled: false };
    timers.push(timer);
    return { cancel: () => (timer.cancelled = true) };
  };
  const live = (): typeof timers => timers.filter((timer) => !timer.cancelled);
  return {
    warnings: new RateLimitedWarning(logger, { topic: 'sources', budget, intervalMs: MINUTE, now: clock.read, schedule }),
    clock,
    lines: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
    runDue: () => {
      for (const timer of live()) {
        if (timer.at > clock.now) continue;
        timer.cancelled = true;
        timer.callback();
      }
    },
    pending: () => live().length,
  };
}

test('one line per key per interval; the next one says how many were suppressed', (t) => {
  const { warnings, clock, lines } = limiter(100);
  for (let i = 0; i < 5; i++) warnings.warn('unknown:192.0.2.1', { source: '192.0.2.1' }, 'dropped');
  t.is(lines().length, 1);
  clock.advance(MINUTE - 1);
  warnings.warn('unknown:192.0.2.1', { source: '192.0.2.1' }, 'dropped');
  t.is(lines().length, 1, 'still the same interval');
  clock.advance(1);
  warnings.warn('unknown:192.0.2.1', { source: '192.0.2.1' }, 'dropped');
  t.like(lines()[1], { source: '192.0.2.1', suppressed: 5, msg: 'dropped' });
});

test('over every key, at most the budget per interval; one summary line at its end says how many more were suppressed', (t) => {
  const { warnings, clock, lines, runDue, pending } = limiter(3);
  for (let i = 0; i < 10; i++) warnings.warn(`unknown:192.0.2.${i}`, { source: `192.0.2.${i}` }, 'dropped');
  t.deepEqual(lines().map((line) => line.source), ['192.0.2.0', '192.0.2.1', '192.0.2.2']);
  t.is(pending(), 1, 'one summary scheduled, however many were suppressed');

  clock.advance(MINUTE - 1);
  runDue();
  t.is(lines().length, 3, 'not before the interval ends');
  clock.advance(1);
  runDue();
  t.is(lines().length, 4);
  t.like(lines()[3], { topic: 'sources', suppressed: 7, budget: 3, interval_ms: MINUTE, level: 40 });

  // A new interval: the budget is whole again, and keys suppressed by it were never marked as logged.
  for (let i = 5; i < 10; i++) warnings.warn(`unknown:192.0.2.${i}`, { source: `192.0.2.${i}` }, 'dropped');
  t.deepEqual(lines().slice(4).map((line) => line.source), ['192.0.2.5', '192.0.2.6', '192.0.2.7']);
  t.is(pending(), 1);
});

test('the summary is written on flush (shutdown), at most once, and not at all when nothing was suppressed', (t) => {
  const { warnings, lines, pending } = limiter(2);
  warnings.warn('a', {}, 'dropped');
  warnings.flush();
  t.is(lines().length, 1, 'nothing suppressed: no summary');
  for (const key of ['b', 'c', 'd', 'e']) warnings.warn(key, {}, 'dropped');
  t.is(lines().length, 3, 'b and c: the flush began a new interval');
  warnings.flush();
  warnings.flush();
  t.is(pending(), 0, 'the scheduled summary was withdrawn');
  t.is(lines().filter((line) => line.suppressed === 2).length, 1);
});

test('a key that keeps sending is suppressed by its own limit and does not use up the budget', (t) => {
  const { warnings, lines } = limiter(3);
  for (let i = 0; i < 1000; i++) warnings.warn('malformed:nas-1:RADGATE_RADIUS_TOO_SHORT', { client: 'nas-1' }, 'dropped a malformed packet');
  warnings.warn('malformed:nas-2:RADGATE_RADIUS_TOO_SHORT', { client: 'nas-2' }, 'dropped a malformed packet');
  t.deepEqual(lines().map((line) => line.client), ['nas-1', 'nas-2']);
});
