import type { OperatorRole } from '../credentials/operator-records.js';
import { csrfField, htmlDocument } from '../web/document.js';
import { html, type Html } from '../web/html.js';

/** Who is signed in, as the page header shows them; undefined on the sign-in pages. */
export interface PageOperator {
  readonly name: string;
  readonly role: OperatorRole;
  /** The CSRF token for the sign-out form. */
  readonly csrf: string;
}

export interface PageOptions {
  readonly title: string;
  readonly operator?: PageOperator;
  /** A one-line outcome of the last action ("revoked 1 code"), or a problem. */
  readonly notice?: string;
  readonly problem?: string;
}

/** Every page: a header with the operator and sign-out, the navigation their role allows, and the content. */
export function page(options: PageOptions, content: Html): string {
  const { operator } = options;
  const header =
    operator === undefined
      ? undefined
      : html`<nav aria-label="Main"><ul>
<li><a href="/users">Users</a></li>
<li><a href="/audit">Audit</a></li>
${operator.role === 'admin' ? html`<li><a href="/operators">Operators</a></li>` : ''}
</ul></nav>
<span>${operator.name} (${operator.role})</span>
<form class="inline" method="post" action="/logout">${csrfField(operator.csrf)}<button class="link" type="submit">Sign out</button></form>`;
  return htmlDocument({ title: options.title, brand: 'radgate helpdesk', header, notice: options.notice, problem: options.problem }, content);
}

/** The reason every action asks for, recorded in the audit stream like the CLI's --reason. */
export const reasonField = (id: string): Html =>
  html`<label for="${id}">Reason or ticket</label><input id="${id}" name="reason" required maxlength="200" autocomplete="off" placeholder="INC-1234">`;
