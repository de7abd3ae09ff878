import type { Logger } from 'pino';

/**
 * Redis log lines look like "123:M 01 Jan 2025 12:00:00.000 # message", where the mark
 * is the level: '#' warning, '*' notice, '-' verbose, '.' debug. Redis 7 also marks its
 * start and shutdown banners '#'; those are info, so that a warning from radgate's log
 * still means something needs a look (memory overcommit, a truncated AOF).
 */
const REDIS_LOG_LINE = /^\d+:[XCSM] \d{1,2} \w{3} \d{4} [\d:.]+ ([#*.-]) (.*)$/;
const ROUTINE_WARNINGS =
  /Redis is starting|^Redis version=|^Configuration loaded|^Server initialized|^User requested shutdown|^Received SIG\w+ scheduling shutdown|ready to exit, bye bye/;

/** One line of the server's output into radgate's log, at the level it deserves. */
export function logServerLine(logger: Logger | undefined, line: string): void {
  if (logger === undefined || line.trim() === '') return;
  const match = REDIS_LOG_LINE.exec(line);
  const message = match?.[2] ?? line;
  const context = { source: 'redis-server' };
  if (match?.[1] !== '#') logger.debug(context, message);
  else if (ROUTINE_WARNINGS.test(message)) logger.info(context, message);
  else logger.warn(context, message);
}
