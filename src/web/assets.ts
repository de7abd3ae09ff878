/**
 * The one stylesheet and one script of radgate's web pages (the helpdesk console and the
 * self-service pages), served from memory at /assets/ (no static folder to ship or to get
 * wrong). The Content Security Policy allows scripts and styles from the site itself only,
 * so nothing inline: these two files are all there is.
 */

export const STYLESHEET_PATH = '/assets/radgate.css';
export const SCRIPT_PATH = '/assets/radgate.js';

/**
 * Phone first: one column, tap targets of 44 px (WCAG 2.5.5), text and controls at
 * contrast 7:1 or more against their background, a visible focus ring for keyboards.
 * Codes are large, monospaced and grouped, to be read out over the phone. Printing shows
 * the slip alone.
 */
export const STYLESHEET = `
:root { --ink: #111; --paper: #fff; --muted: #3d3d3d; --line: #767676; --accent: #0a4fa6; --danger: #a10f0f; --ok: #0b5a2a; --soft: #eef2f7; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--paper); }
a { color: var(--accent); }
:focus-visible { outline: 3px solid #c25e00; outline-offset: 2px; }
.skip { position: absolute; left: -999px; } .skip:focus { left: 8px; top: 8px; background: var(--paper); padding: 8px; z-index: 1; }
header { background: #0d2540; color: #fff; padding: 8px 16px; display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: center; }
header a, header button.link { color: #fff; }
header .brand { font-weight: 700; margin-right: auto; }
nav ul { list-style: none; margin: 0; padding: 0; display: flex; gap: 16px; flex-wrap: wrap; }
main { max-width: 60rem; margin: 0 auto; padding: 16px; }
h1 { font-size: 1.5rem; margin: 8px 0 16px; } h2 { font-size: 1.2rem; margin-top: 32px; border-bottom: 1px solid var(--line); }
label { display: block; font-weight: 600; margin: 12px 0 4px; }
input, select, button { font: inherit; min-height: 44px; }
input, select { width: 100%; max-width: 28rem; padding: 8px; border: 2px solid var(--line); border-radius: 4px; background: var(--paper); color: var(--ink); }
button, .button { display: inline-block; padding: 8px 16px; border: 2px solid var(--accent); border-radius: 4px; background: var(--accent); color: #fff; cursor: pointer; text-decoration: none; margin-top: 12px; }
button.secondary { background: var(--paper); color: var(--accent); }
button.danger { background: var(--danger); border-color: var(--danger); }
button.link { background: none; border: 0; padding: 0; margin: 0; min-height: 0; text-decoration: underline; color: var(--accent); }
form.inline { display: inline; }
fieldset { border: 1px solid var(--line); border-radius: 4px; margin: 16px 0; padding: 8px 16px 16px; }
legend { font-weight: 700; padding: 0 4px; }
.hint { color: var(--muted); font-size: .9rem; margin: 4px 0; }
.notice { padding: 12px 16px; border-left: 6px solid var(--ok); background: #e8f4ec; margin: 16px 0; }
.error { padding: 12px 16px; border-left: 6px solid var(--danger); background: #fbeaea; margin: 16px 0; }
table { border-collapse: collapse; width: 100%; font-size: .95rem; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid #c8c8c8; vertical-align: top; }
.table-wrap { overflow-x: auto; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0; }
dl.facts dt { font-weight: 600; } dl.facts dd { margin: 0; }
.badge { display: inline-block; padding: 0 8px; border-radius: 4px; font-weight: 700; background: var(--soft); }
.badge.bad { background: var(--danger); color: #fff; } .badge.good { background: var(--ok); color: #fff; }
.code { font: 700 clamp(1.4rem, 6.5vw, 2.2rem)/1.3 ui-monospace, "DejaVu Sans Mono", Menlo, monospace; letter-spacing: .12em; word-spacing: .4em; padding: 8px 0; overflow-wrap: anywhere; }
.codes { list-style: none; padding: 0; }
.key { font: 700 1.1rem ui-monospace, "DejaVu Sans Mono", Menlo, monospace; letter-spacing: .08em; overflow-wrap: anywhere; }
.uri { font: .95rem ui-monospace, "DejaVu Sans Mono", Menlo, monospace; overflow-wrap: anywhere; background: var(--soft); padding: 8px; }
.choices { list-style: none; padding: 0; display: grid; gap: 12px; max-width: 28rem; }
.choices a { display: block; padding: 12px 16px; border: 2px solid var(--accent); border-radius: 4px; font-weight: 600; text-decoration: none; min-height: 44px; }
.choices a:hover { background: var(--soft); }
.slip { border: 2px dashed var(--line); padding: 16px; margin: 16px 0; }
.qr { width: 240px; height: 240px; image-rendering: pixelated; background: #fff; }
.actions { display: grid; gap: 0 24px; grid-template-columns: repeat(auto-fit, minmax(16rem, 1fr)); }
@media print {
  header, nav, form, .no-print, .skip { display: none !important; }
  body { font-size: 12pt; } main { max-width: none; padding: 0; } .slip { border: 1px solid #000; }
}
`;

/** The copy and print buttons, the only behaviour a page needs beyond links and forms. */
export const SCRIPT = `
'use strict';
document.addEventListener('click', function (event) {
  var button = event.target.closest('button[data-copy], button[data-print]');
  if (!button) return;
  if (button.hasAttribute('data-print')) { window.print(); return; }
  var source = document.getElementById(button.getAttribute('data-copy'));
  if (!source || !navigator.clipboard) return;
  navigator.clipboard.writeText(source.textContent.trim()).then(function () {
    var status = document.getElementById(button.getAttribute('data-copy') + '-status');
    if (status) status.textContent = 'Copied.';
  });
});
`;
