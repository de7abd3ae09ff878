import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { RadgateError } from '../errors.js';
import { PageRefusal } from './page-refusal.js';

/** An error as the page shows it: an HTTP status and a message written for the reader. */
export interface ErrorAnswer {
  readonly status: number;
  readonly message: string;
}

export interface ErrorPageOptions {
  readonly logger: Logger;
  /** The log line's message for a failed request ("console: request failed"); refusals log `${prefix}: request refused`. */
  readonly logPrefix: string;
  /** Errors of the app's own (the console's AdminError) and what the page says; undefined for the shared rules. */
  readonly explain?: (error: Error) => ErrorAnswer | undefined;
  /** What a form without a valid CSRF token is told. */
  readonly csrfRefused: string;
  /** The app's 404 refusal. */
  readonly notFound: () => PageRefusal;
  /** The whole page for an answer (its title, a way back). */
  readonly render: (answer: ErrorAnswer, request: FastifyRequest) => string;
  readonly requestFields?: (request: FastifyRequest) => Record<string, unknown>;
}

/**
 * An error as a page: refusals by their message (written for the reader; they never hold a
 * code or a secret), anything else as a generic line with the request id to find the log
 * line, never the error's text, which could quote input.
 */
export function errorPage(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply, options: ErrorPageOptions): FastifyReply {
  const answer = explain(error, request, options);
  const code = (error as FastifyError).code;
  if (answer.status >= 500) options.logger.error({ err: error, request: request.id, route: request.routeOptions.url }, `${options.logPrefix}: request failed`);
  else options.logger.info({ code, status: answer.status, route: request.routeOptions.url, ...options.requestFields?.(request) }, `${options.logPrefix}: request refused`);
  return reply.status(answer.status).type('text/html; charset=utf-8').send(options.render(answer, request));
}

function explain(error: FastifyError | Error, request: FastifyRequest, options: ErrorPageOptions): ErrorAnswer {
  const code = (error as FastifyError).code;
  const statusCode = (error as FastifyError).statusCode;
  if (error instanceof PageRefusal) return { status: error.statusCode, message: error.message };
  const own = options.explain?.(error);
  if (own !== undefined) return own;
  if (code === 'FST_CSRF_INVALID_TOKEN' || code === 'FST_CSRF_MISSING_SECRET') return { status: 403, message: options.csrfRefused };
  if (error instanceof RadgateError && error.code === 'RADGATE_STORE_UNAVAILABLE') return { status: 503, message: 'The credential store does not answer. Try again in a moment.' };
  if (statusCode !== undefined && statusCode < 500) return { status: statusCode, message: 'The request was not understood.' };
  return { status: 500, message: `Something went wrong (request ${request.id}); the gateway's log has the details.` };
}
