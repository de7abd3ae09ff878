import type { FastifyRequest } from 'fastify';
import type { PolicyConfig } from '../../config/types.js';
import { html, type Html } from '../../web/html.js';

export type Form = Readonly<Record<string, string | undefined>>;

export const formOf = (request: FastifyRequest): Form => (request.body ?? {}) as Form;

/** A field as typed, or '' (a form post may leave any out). */
export const fieldOf = (form: Form, name: string): string => (typeof form[name] === 'string' ? form[name] : '');

/** The user name field; refilled with what was typed after a refusal (it is the reader's own typing, escaped). */
export const userField = (value = ''): Html =>
  html`<label for="user">User name</label><input id="user" name="user" value="${value}" required maxlength="256" autocomplete="username" autocapitalize="none" spellcheck="false">`;

/** The authorization code from the SMS: never refilled, never in a URL. */
export const codeField = html`<label for="code">Authorization code from the SMS</label>
<input id="code" name="code" required maxlength="64" autocomplete="one-time-code" autocapitalize="characters" spellcheck="false">
<p class="hint" id="code-hint">Spaces and hyphens do not matter.</p>`;

/**
 * A PIN field. The hint says what the PIN policy asks for, so a user gets it right the first
 * time; the policy itself is enforced behind the SelfService interface, not here.
 */
export function pinField(id: string, label: string, autocomplete: 'current-password' | 'new-password', pin: PolicyConfig['pin'], hint = true): Html {
  const what = `${pin.minLength} to ${pin.maxLength} ${pin.charset === 'digits' ? 'digits' : 'letters or digits'}`;
  return html`<label for="${id}">${label}</label>
<input id="${id}" name="${id}" type="password" required maxlength="64" autocomplete="${autocomplete}"${pin.charset === 'digits' ? html` inputmode="numeric"` : ''}${hint ? html` aria-describedby="${id}-hint"` : ''}>
${hint ? html`<p class="hint" id="${id}-hint">${what}.</p>` : ''}`;
}
