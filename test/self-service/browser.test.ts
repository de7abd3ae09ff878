import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import type { Browser, BrowserContext } from 'playwright-core';
import { launchChromium, openPage, screenshot, scrollWidth, unlabelledFields, VIEWPORTS, type WatchedPage } from '../../harness/browser.js';
import { totpAt } from '../../harness/otp.js';
import { REPO_ROOT } from '../../harness/paths.js';
import { codeInSms } from '../../harness/sms-gateway.js';
import { startSelfServiceStack, type SelfServiceStack } from '../../harness/self-service.js';

// The self-service pages end to end, in Debian's Chromium driven by playwright-core, over
// the real SelfService, a real redis-server, the test's own SMS gateway (the webhook
// provider) and radclient against a gateway on the same store: a user asks for a code,
// resets the PIN with it and logs in; asks for a second code, registers a new token, reads
// its otpauth:// address off the page and logs in with it, while the old token is refused.
// Screenshots of every page, desktop and phone width, go to docs/screenshots/ with
// RADGATE_SCREENSHOTS=1; the README shows them.

const SCREENSHOTS = ['start', 'code', 'sent', 'pin', 'token', 'registered'] as const;
const shot = (page: WatchedPage, name: (typeof SCREENSHOTS)[number], viewport: keyof typeof VIEWPORTS): Promise<void> => screenshot(page, `self-service-${name}`, viewport);

let site: SelfServiceStack;
let browser: Browser;
let base: string;

test.before(async () => {
  site = await startSelfServiceStack();
  browser = await launchChromium();
  base = `https://127.0.0.1:${site.port}`;
});

test.after.always(async () => {
  await browser?.close();
  await site?.close();
});

async function newPage(viewport: keyof typeof VIEWPORTS): Promise<{ context: BrowserContext; page: WatchedPage }> {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: VIEWPORTS[viewport], isMobile: viewport === 'phone' });
  return { context, page: await openPage(context) };
}

/** Asks for a code on the page, by keyboard alone, and returns the one the SMS gateway received. */
async function requestCode(page: WatchedPage, user: string, mobile: string, viewport: keyof typeof VIEWPORTS): Promise<string> {
  await page.goto(`${base}/code`);
  await shot(page, 'code', viewport);
  await page.getByLabel('User name').focus();
  await page.keyboard.type(user);
  await page.keyboard.press('Enter');
  await page.getByRole('status').waitFor();
  await shot(page, 'sent', viewport);
  return codeInSms(await site.sms.messageTo(mobile));
}

test('a user resets the PIN and registers a new token with codes sent by SMS, and logs in with each through radclient', async (t) => {
  const oldToken = await site.addUser('ivan', '80604217', '+4915112345631');
  const { context, page } = await newPage('desktop');
  const now = site.stack.clock.now;

  await page.goto(`${base}/`);
  await shot(page, 'start', 'desktop');
  await page.getByRole('link', { name: 'Request a code by SMS' }).click();
  await page.waitForURL(`${base}/code`);
  const first = await requestCode(page, 'ivan', '+4915112345631', 'desktop');
  t.regex(await page.getByRole('status').innerText(), /If this user name has a mobile number on record, a code is on its way by SMS/);
  t.false((await page.content()).includes('4915112345631'), 'the number is never shown');

  await page.getByRole('link', { name: 'Reset your PIN with a code' }).click();
  await page.waitForURL(`${base}/pin`);
  await shot(page, 'pin', 'desktop');
  await page.getByLabel('User name').fill('ivan');
  await page.getByLabel('Authorization code from the SMS').fill(first);
  await page.getByLabel('New PIN', { exact: true }).fill('24681357');
  await page.getByLabel('New PIN again').fill('24681357');
  await page.getByRole('button', { name: 'Set the new PIN' }).click();
  await page.getByText('Your PIN is changed').waitFor();
  t.is(page.url(), `${base}/pin`, 'nothing in the URL');
  t.is(await site.login('ivan', `24681357${totpAt(oldToken, now)}`), 0, 'Access-Accept with the new PIN + tokencode');

  const second = await requestCode(page, 'ivan', '+4915112345631', 'desktop');
  await page.goto(`${base}/token`);
  await shot(page, 'token', 'desktop');
  await page.getByLabel('User name').fill('ivan');
  await page.getByLabel('Authorization code from the SMS').fill(second);
  await page.getByLabel('PIN', { exact: true }).fill('24681357');
  await page.getByRole('button', { name: 'Register a new token' }).click();
  await page.getByRole('heading', { name: 'Your new token' }).waitFor();
  t.true(await page.locator('img.qr').isVisible(), 'the QR code');
  const newToken = (await page.locator('#token-uri').innerText()).trim();
  t.regex(newToken, /^otpauth:\/\/totp\/.*[?&]secret=[A-Z2-7]+/);
  t.false(page.url().includes('secret'), 'never in a URL');

  t.is(await site.login('ivan', `24681357${totpAt(oldToken, now, 1)}`), 1, 'Access-Reject for the old token');
  t.is(await site.login('ivan', `24681357${totpAt(newToken, now, 1)}`), 0, 'Access-Accept with PIN + the new token');
  await shot(page, 'registered', 'desktop');

  t.deepEqual(page.errors.splice(0), [], 'no CSP violation or script error');

  // Shown once: reloading sends the form again and finds the code used; going back does not bring it either.
  await page.reload();
  t.false((await page.content()).includes('otpauth'), 'not after a reload');
  t.regex(await page.getByRole('alert').innerText(), /That did not work/);
  await page.goto(`${base}/`);
  // Chromium keeps no copy of a no-store answer to a form: going back asks to send the form again.
  const back = await page.goBack().then(
    () => 'shown',
    (error: Error) => error.message,
  );
  t.regex(back, /ERR_CACHE_MISS/);
  t.false((await page.locator('body').innerText()).includes('otpauth'), 'not after going back');
  t.deepEqual(page.errors, ['Failed to load resource: the server responded with a status of 400 (Bad Request)'], 'the resent form’s refusal, and nothing else');
  await context.close();
});

test('on a phone: every page fits the width, a code request and a token registration work', async (t) => {
  await site.addUser('judy', '80604217', '+4915112345632');
  const { context, page } = await newPage('phone');
  for (const [path, name] of [['/', 'start'], ['/pin', 'pin'], ['/token', 'token']] as const) {
    await page.goto(`${base}${path}`);
    t.true((await scrollWidth(page)) <= VIEWPORTS.phone.width, `${path}: no sideways scrolling`);
    await shot(page, name, 'phone');
  }
  const code = await requestCode(page, 'judy', '+4915112345632', 'phone');
  t.true((await scrollWidth(page)) <= VIEWPORTS.phone.width, 'the answer fits');
  await page.goto(`${base}/token`);
  await page.getByLabel('User name').fill('judy');
  await page.getByLabel('Authorization code from the SMS').fill(code);
  await page.getByLabel('PIN', { exact: true }).fill('80604217');
  await page.getByRole('button', { name: 'Register a new token' }).click();
  await page.getByRole('heading', { name: 'Your new token' }).waitFor();
  t.true((await scrollWidth(page)) <= VIEWPORTS.phone.width, 'the QR code and the address fit');
  await shot(page, 'registered', 'phone');
  t.deepEqual(page.errors, [], 'no CSP violation or script error on a phone');
  await context.close();
});

test('every form field has a label', async (t) => {
  const { context, page } = await newPage('desktop');
  for (const path of ['/code', '/pin', '/token']) {
    await page.goto(`${base}${path}`);
    t.deepEqual(await unlabelledFields(page), [], path);
  }
  await context.close();
});

test('the README shows a screenshot of each self-service page, desktop and phone', (t) => {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  for (const name of SCREENSHOTS) {
    for (const viewport of Object.keys(VIEWPORTS)) {
      const file = `docs/screenshots/self-service-${name}-${viewport}.png`;
      t.true(readme.includes(file), `README shows ${file}`);
      t.true(existsSync(join(REPO_ROOT, file)), `${file} exists`);
    }
  }
});
