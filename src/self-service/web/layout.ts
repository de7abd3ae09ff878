import type { FastifyReply } from 'fastify';
import { htmlDocument } from '../../web/document.js';
import { html, type Html } from '../../web/html.js';

export interface SelfServicePageOptions {
  readonly title: string;
  readonly notice?: string;
  readonly problem?: string;
}

/** Every self-service page: the shared document, with a way back to the start page. */
export function selfServicePage(options: SelfServicePageOptions, content: Html): string {
  const header = html`<nav aria-label="Main"><ul><li><a href="/">Start</a></li></ul></nav>`;
  return htmlDocument({ brand: 'radgate self-service', header, ...options }, content);
}

export function sendPage(reply: FastifyReply, status: number, options: SelfServicePageOptions, content: Html): FastifyReply {
  return reply.status(status).type('text/html; charset=utf-8').send(selfServicePage(options, content));
}

/** The links from one action to the others, under every answer. */
export const nextSteps = html`<ul class="choices">
<li><a href="/code">Request a code by SMS</a></li>
<li><a href="/pin">Reset your PIN with a code</a></li>
<li><a href="/token">Register a new token with a code</a></li>
</ul>`;
