import type { OperatorRole } from '../credentials/operator-records.js';
import { html, type Html } from './html.js';

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
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${options.title} · radgate helpdesk</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/console.css">
<script src="/assets/console.js" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header>
<span class="brand">radgate helpdesk</span>
${
  operator === undefined
    ? ''
    : html`<nav aria-label="Main"><ul>
<li><a href="/users">Users</a></li>
<li><a href="/audit">Audit</a></li>
${operator.role === 'admin' ? html`<li><a href="/operators">Operators</a></li>` : ''}
</ul></nav>
<span>${operator.name} (${operator.role})</span>
<form class="inline" method="post" action="/logout"><input type="hidden" name="_csrf" value="${operator.csrf}"><button class="link" type="submit">Sign out</button></form>`
}
</header>
<main id="main">
<h1>${options.title}</h1>
${options.notice === undefined ? '' : html`<p class="notice" role="status">${options.notice}</p>`}
${options.problem === undefined ? '' : html`<p class="error" role="alert">${options.problem}</p>`}
${content}
</main>
</body>
</html>
`.text;
}

/** A hidden CSRF field: every form that changes anything carries one (console/server.ts checks it). */
export const csrfField = (token: string): Html => html`<input type="hidden" name="_csrf" value="${token}">`;

/** The reason every action asks for, recorded in the audit stream like the CLI's --reason. */
export const reasonField = (id: string): Html =>
  html`<label for="${id}">Reason or ticket</label><input id="${id}" name="reason" required maxlength="200" autocomplete="off" placeholder="INC-1234">`;
