import { randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { actorProblem, type Actor } from '../admin/admin-audit.js';
import { typedUserName } from '../credentials/user-name.js';
import type { PolicyConfig } from '../config/types.js';
import { ConsoleRefusal } from './access.js';

export type Form = Readonly<Record<string, string | undefined>>;

export const formOf = (request: FastifyRequest): Form => (request.body ?? {}) as Form;

/** Forms kept open at once per session (several tabs): the oldest token is dropped after that. */
const OPEN_FORMS = 20;

/**
 * A token for one submission of a form that shows a secret (issue, assign, answer): the
 * browser's "resubmit?" after the page is left finds it used, so a code is never issued
 * again and shown twice by going back.
 */
export function oneTimeToken(request: FastifyRequest): string {
  const token = randomBytes(12).toString('base64url');
  request.session.forms = [...(request.session.forms ?? []), token].slice(-OPEN_FORMS);
  return token;
}

export function spendOneTimeToken(request: FastifyRequest): void {
  const token = formOf(request).once;
  const open = request.session.forms ?? [];
  if (token === undefined || !open.includes(token)) {
    throw new ConsoleRefusal(403, 'This form was already sent. What it showed was shown once; if it was not noted, revoke it and issue anew.');
  }
  request.session.forms = open.filter((candidate) => candidate !== token);
}

/** The audit's actor for a console action: the signed-in operator and the reason typed, which every action requires. */
export function actorOf(request: FastifyRequest): Actor {
  const reason = (formOf(request).reason ?? '').trim();
  if (reason === '') throw new ConsoleRefusal(400, 'Every action needs a reason or ticket: go back and type one.');
  const actor = { operator: request.operator!.name, reason };
  const problem = actorProblem(actor, { operator: 'the operator name', reason: 'the reason' });
  if (problem !== undefined) throw new ConsoleRefusal(400, `${problem[0]!.toUpperCase()}${problem.slice(1)}.`);
  return actor;
}

/** The user a URL or a search names, canonical as the CLI makes it (typedUserName). */
export function userNamed(typed: string, policy: Pick<PolicyConfig, 'stripRealm' | 'foldCase'>): string {
  const result = typedUserName(typed, policy);
  if ('problem' in result) throw new ConsoleRefusal(404, `${result.problem[0]!.toUpperCase()}${result.problem.slice(1)}.`);
  return result.name;
}

export const userPath = (name: string, action = ''): string => `/users/${encodeURIComponent(name)}${action === '' ? '' : `/${action}`}`;
