/**
 * Debian's Chromium driven by playwright-core, for the web apps' browser tests: one launch,
 * pages that fail the test on a CSP violation or a script error, and screenshots with
 * every secret painted over (docs/screenshots/ with RADGATE_SCREENSHOTS=1, a temporary
 * folder otherwise, so a test run leaves the tree as it was).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { REPO_ROOT } from './paths.js';
import { patient } from './patience.js';
import { tempDir } from './temp.js';

export const VIEWPORTS = { desktop: { width: 1280, height: 900 }, phone: { width: 390, height: 844 } } as const;

const shotDirectory = process.env.RADGATE_SCREENSHOTS === '1' ? join(REPO_ROOT, 'docs', 'screenshots') : tempDir('screenshots');

export async function launchChromium(): Promise<Browser> {
  mkdirSync(shotDirectory, { recursive: true });
  // Debian's chromium; as root (CI containers) it needs --no-sandbox.
  return chromium.launch({ executablePath: process.env.RADGATE_CHROMIUM ?? '/usr/bin/chromium', args: process.getuid?.() === 0 ? ['--no-sandbox'] : [], timeout: patient(15_000) });
}

/** A page whose console errors (a CSP violation among them) and script errors are collected in `errors`. */
export type WatchedPage = Page & { readonly errors: string[] };

export async function openPage(context: BrowserContext): Promise<WatchedPage> {
  const page = await context.newPage();
  page.setDefaultTimeout(patient(5000));
  const errors: string[] = [];
  // A CSP violation or a script error fails the test: the pages must need nothing inline.
  page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
  page.on('pageerror', (error) => errors.push(error.message));
  return Object.assign(page, { errors });
}

/** A screenshot with every secret on the page (codes, keys, addresses, QR codes) painted over: no secret is kept in a picture. */
export async function screenshot(page: Page, name: string, viewport: keyof typeof VIEWPORTS): Promise<void> {
  // In the page (a string: these tests compile without the DOM's types).
  await page.evaluate("for (const element of document.querySelectorAll('.code, .key, .uri')) element.textContent = element.textContent.replace(/[A-Za-z0-9]/g, 'X')");
  await page.screenshot({ path: join(shotDirectory, `${name}-${viewport}.png`), fullPage: true, mask: [page.locator('img.qr')] });
}

/** Fields with no label, as their HTML (none on an accessible page). */
export function unlabelledFields(page: Page): Promise<string[]> {
  return page.evaluate<string[]>("[...document.querySelectorAll('input:not([type=hidden]), select')].filter((field) => field.labels.length === 0).map((field) => field.outerHTML)");
}

/** How wide the page is drawn: at most the viewport's width when it never scrolls sideways. */
export function scrollWidth(page: Page): Promise<number> {
  return page.evaluate<number>('document.documentElement.scrollWidth');
}
