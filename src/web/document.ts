import { html, type Html } from './html.js';
import { SCRIPT_PATH, STYLESHEET_PATH } from './assets.js';

export interface DocumentOptions {
  /** The page's heading, and the first part of its <title>. */
  readonly title: string;
  /** The site's name, in the header and the <title> ("radgate helpdesk"). */
  readonly brand: string;
  /** What the header holds after the brand (the console's navigation and sign-out). */
  readonly header?: Html;
  /** A one-line outcome of the last action, or a problem (role="status" / role="alert"). */
  readonly notice?: string;
  readonly problem?: string;
}

/**
 * The one HTML document every page of every web app is: the shared stylesheet and script
 * (same-origin files, as the Content Security Policy demands), a skip link for keyboards,
 * a header, and the content under one <h1>.
 */
export function htmlDocument(options: DocumentOptions, content: Html): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${options.title} · ${options.brand}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${STYLESHEET_PATH}">
<script src="${SCRIPT_PATH}" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header>
<span class="brand">${options.brand}</span>
${options.header}
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

/** A hidden CSRF field: every form that changes anything carries one (web/https-app.ts checks it). */
export const csrfField = (token: string): Html => html`<input type="hidden" name="_csrf" value="${token}">`;
