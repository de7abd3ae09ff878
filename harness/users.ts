import type { IssueRequest } from '../src/admin/code-issuing.js';
import type { IssuedCode } from '../src/admin/views.js';
import type { AdminAccess } from '../src/serve/admin-access.js';
import { OPERATOR } from './stack.js';

/** A user with a PIN and a TOTP token (emergency codes are only issued to such a user); returns the otpauth:// URI. */
export async function addUserWithToken(admin: AdminAccess, user: string, pin: string): Promise<string> {
  await admin.service.addUser(user, pin, OPERATOR);
  return (await admin.service.assignToken(user, {}, OPERATOR)).uri;
}

export function issue(admin: AdminAccess, user: string, request: IssueRequest): Promise<IssuedCode[]> {
  return admin.service.issueCodes(user, request, OPERATOR);
}

/** Fisher–Yates, in place. */
export function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
