import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import type { Browser } from 'playwright-core';
import { decodeBase32 } from '../../src/credentials/otp/base32.js';
import { hotp, totpStep } from '../../src/credentials/otp/hotp.js';
import { launchChromium, openPage, screenshot as shoot, scrollWidth as widthOf, unlabelledFields, VIEWPORTS, type WatchedPage } from '../../harness/browser.js';
import { consoleCertificate, consoleSection } from '../../harness/console.js';
import { TEST_SECRET } from '../../harness/packets.js';
import { REPO_ROOT } from '../../harness/paths.js';
import { radclient } from '../../harness/radclient.js';
import type { ServeProcess } from '../../harness/serve-process.js';
import { startStack, type Stack } from '../../harness/stack.js';
import { addUserWithToken } from '../../harness/users.js';

// The helpdesk console end to end, in Debian's Chromium driven by playwright-core: an operator
// signs in (password, then an authenticator enrolled by QR code), finds a user, issues an
// emergency tokencode; the user logs in with it through radclient against the same
// `radgate serve`; the operator revokes it in the page; the next login is rejected and the
// rejection shows on the user's page. Screenshots of the main pages, desktop and phone width,
// go to docs/screenshots/ with RADGATE_SCREENSHOTS=1 (to a temporary folder otherwise, so a
// test run leaves the tree as it was); the README shows them.

const SCREENSHOTS = ['login', 'users', 'user', 'issued', 'audit'] as const;

let stack: Stack;
let serve: ServeProcess;
let browser: Browser;
let base: string;

test.before(async () => {
  const tls = consoleCertificate();
  stack = await startStack({ extra: consoleSection(tls) });
  serve = await stack.startServe();
  base = `https://127.0.0.1:${serve.consolePort!}`;
  browser = await launchChromium();
});

test.after.always(async () => {
  await browser?.close();
  await stack?.close();
});

/** A TOTP code as an authenticator app shows it, from the key the enrolment page shows. */
const totpOf = (key: string, offsetSteps = 0): string => hotp(decodeBase32(key.replace(/-/g, ''))!, totpStep(Date.now() / 1000, 30) + offsetSteps, 6);

/** A screenshot of one of the console's pages, every code painted over. */
const screenshot = (page: WatchedPage, name: (typeof SCREENSHOTS)[number], viewport: keyof typeof VIEWPORTS): Promise<void> => shoot(page, name, viewport);

async function login(user: string, password: string): Promise<number> {
  return (await radclient(`127.0.0.1:${serve.port}`, 'auth', `User-Name = "${user}", User-Password = "${password}", Message-Authenticator = 0x00\n`, TEST_SECRET)).exitCode;
}

test('an operator signs in with password and TOTP, issues an emergency tokencode that works through radclient, revokes it, and sees the rejection', async (t) => {
  await addUserWithToken(stack.admin, 'alice', '4821');
  const added = await stack.cli('operator', 'add', 'dana', '--role', 'helpdesk', '--json', '--reason', 'new hire');
  t.is(added.exitCode, 0, added.stderr);
  const { password } = JSON.parse(added.stdout) as { password: string };

  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: VIEWPORTS.desktop });
  const page = await openPage(context);

  // Sign in by keyboard alone: the fields are labelled and in order.
  await page.goto(`${base}/login`);
  await screenshot(page, 'login', 'desktop');
  await page.getByLabel('Operator name').focus();
  await page.keyboard.type('dana');
  await page.keyboard.press('Tab');
  await page.keyboard.type(password);
  await page.keyboard.press('Enter');
  await page.waitForURL(`${base}/login/enrol`);
  t.true(await page.locator('img.qr').isVisible(), 'the QR code of the new second factor');
  const key = (await page.locator('.key').textContent())!.trim();
  await page.getByLabel('The 6-digit code the app now shows').fill(totpOf(key));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${base}/users`);

  await page.getByLabel('User name or its beginning').fill('ali');
  await page.getByRole('button', { name: 'Find' }).click();
  await screenshot(page, 'users', 'desktop');
  await page.getByRole('link', { name: 'alice' }).click();
  await page.waitForURL(`${base}/users/alice`);
  await screenshot(page, 'user', 'desktop');

  const issueForm = page.locator('form', { has: page.getByRole('button', { name: 'Issue', exact: true }) });
  await issueForm.getByLabel('Kind').selectOption('emergency-tokencode');
  await issueForm.getByLabel('Reason or ticket').fill('INC-4711 forgot token at home');
  await issueForm.getByRole('button', { name: 'Issue', exact: true }).click();
  await page.waitForURL(`${base}/users/alice/issue`);
  const grouped = (await page.locator('li.code').first().textContent())!.trim();
  t.regex(grouped, /^[Z3467ACEFHJKRWXY]{4}-[Z3467ACEFHJKRWXY]{4}$/, 'large, grouped, from the unambiguous alphabet');
  t.true(await page.getByRole('button', { name: 'Copy' }).isVisible());
  t.true(await page.getByRole('button', { name: 'Print a slip' }).isVisible());
  t.false(page.url().includes(grouped.replace('-', '')), 'never in a URL');
  const code = grouped.replace('-', '');
  t.is(await login('alice', `4821${code}`), 0, 'Access-Accept with PIN + the emergency tokencode');
  await screenshot(page, 'issued', 'desktop');

  await page.goto(`${base}/users/alice`);
  t.false((await page.content()).includes(grouped), 'not on the page once it is left');
  const row = page.locator('tr', { has: page.getByRole('button', { name: /^Revoke [0-9a-f]{10}$/ }) });
  await row.getByLabel('Reason').fill('INC-4711 token found');
  await row.getByRole('button', { name: /^Revoke/ }).click();
  await page.waitForURL(`${base}/users/alice`);
  t.regex((await page.getByRole('status').first().textContent())!, /Revoked 1 code/);

  t.is(await login('alice', `4821${code}`), 1, 'Access-Reject once revoked');
  await page.reload();
  const newest = page.locator('#attempts tbody tr').first();
  t.regex((await newest.textContent())!, /reject revoked/);

  await page.goto(`${base}/audit?user=alice&since=all`);
  t.regex(await page.locator('main').innerText(), /code\.revoke[\s\S]*dana[\s\S]*INC-4711 token found/);
  await screenshot(page, 'audit', 'desktop');
  t.deepEqual(page.errors, [], 'no CSP violation or script error');

  // The same session at phone width.
  const phone = await browser.newContext({ ignoreHTTPSErrors: true, viewport: VIEWPORTS.phone, isMobile: true, storageState: await context.storageState() });
  const small = await openPage(phone);
  await small.goto(`${base}/users?q=ali`);
  await screenshot(small, 'users', 'phone');
  await small.goto(`${base}/users/alice`);
  const scrollWidth = await widthOf(small);
  t.true(scrollWidth <= VIEWPORTS.phone.width, `no sideways scrolling on a phone (${scrollWidth} px)`);
  await screenshot(small, 'user', 'phone');
  const phoneIssue = small.locator('form', { has: small.getByRole('button', { name: 'Issue', exact: true }) });
  await phoneIssue.getByLabel('Kind').selectOption('emergency-passcode');
  await phoneIssue.getByLabel('How many').fill('3');
  await phoneIssue.getByLabel('Reason or ticket').fill('INC-4712 travelling');
  await phoneIssue.getByRole('button', { name: 'Issue', exact: true }).click();
  await small.waitForURL(`${base}/users/alice/issue`);
  t.is(await small.locator('li.code').count(), 3);
  await screenshot(small, 'issued', 'phone');
  await small.goto(`${base}/audit?since=all`);
  await screenshot(small, 'audit', 'phone');

  // Signing out in one window ends the session in the other too.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(`${base}/login`);
  await small.goto(`${base}/users/alice`);
  t.is(small.url(), `${base}/login`);
  await screenshot(small, 'login', 'phone');
  t.deepEqual(small.errors, [], 'no CSP violation or script error on a phone');
  await phone.close();
  await context.close();
});

test('every form field has a label', async (t) => {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  const page = await openPage(context);
  await page.goto(`${base}/login`);
  t.deepEqual(await unlabelledFields(page), []);
  await context.close();
});

test('the README shows a screenshot of each main page, desktop and phone', (t) => {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  for (const name of SCREENSHOTS) {
    for (const viewport of Object.keys(VIEWPORTS)) {
      const file = `docs/screenshots/${name}-${viewport}.png`;
      t.true(readme.includes(file), `README shows ${file}`);
      t.true(existsSync(join(REPO_ROOT, file)), `${file} exists`);
    }
  }
});
