/**
 * The portal's release policy views in headless Chromium against a real server: the read-only
 * policy page with rendered rules, and "why held" on a manifest page, rule by rule; a pull-only
 * user gets neither the held manifest nor its reasons. Accessibility checked with axe.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { ADMIN_PASSWORD, ADMIN_USER, adminAuth, createUser, startTokenServer } from './helpers/identities.ts';
import { call, pushImage, type PushedImage } from './helpers/quarantine-fixtures.ts';
import type { TestServer } from './helpers/server.ts';
import { skipUnless } from './helpers/environment.ts';
import { HAS_CHROMIUM, PORTAL_BUILT, assertCleanConsole, formatViolations, launchBrowser, openPortal, seriousA11yViolations, signIn, type PortalPage } from './helpers/portal.ts';

const skip = skipUnless(HAS_CHROMIUM && PORTAL_BUILT, HAS_CHROMIUM ? 'portal/dist is missing: run `npm run build:portal`' : 'no /usr/bin/chromium (apt-get install chromium)');

async function go(page: Page, path: string) {
  await page.evaluate((p) => {
    history.pushState(null, '', p);
    dispatchEvent(new PopStateEvent('popstate'));
  }, path);
}

describe('portal: release policies and why held', { skip, timeout: 120_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let img: PushedImage;
  const opened: PortalPage[] = [];
  const open = async (user: string, password: string) => {
    const p = await openPortal(browser, server.url);
    opened.push(p);
    await signIn(p.page, user, password);
    return p;
  };

  before(async () => {
    server = await startTokenServer();
    await createUser(server, 'puller', 'puller-password-1', [{ role: 'AcrPull' }]);
    img = await pushImage(server.url, 'team-a/app', { seed: 'portal-rp', tag: 'v1', headers: { authorization: adminAuth() } });
    const doc = { name: 'team-a', description: 'Team A ships signed images only', repositories: ['team-a/*'], onViolation: 'requarantine', gracePeriod: '24h', rules: [{ name: 'no-critical', vulnerabilities: { maxSeverity: 'High' } }] };
    const r = await call(server.url, 'POST', '/api/v1/release-policies', { headers: { authorization: adminAuth() }, body: { document: doc } });
    assert.equal(r.status, 201, r.text);
    await server.services.releasePolicy.idle();
    browser = await launchBrowser();
  });
  after(async () => {
    for (const p of opened) assertCleanConsole(p);
    await browser?.close();
    await server?.close();
  });

  test('the policies page renders each policy and its rules, read-only', async () => {
    const { page } = await open(ADMIN_USER, ADMIN_PASSWORD);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Policies', exact: true }).click();
    const card = page.getByRole('article', { name: /team-a/ });
    await card.waitFor();
    const text = await card.innerText();
    assert.match(text, /version 1/);
    assert.match(text, /Team A ships signed images only/);
    assert.match(text, /team-a\/\*/);
    assert.match(text, /held again after 24h/);
    assert.match(text, /no-critical \(vulnerabilities\): a scan report is required; no finding above High/);
    assert.equal(await page.getByRole('button', { name: /apply|edit|delete/i }).count(), 0, 'read-only');
    const violations = await seriousA11yViolations(page);
    assert.equal(violations.length, 0, formatViolations(violations));
  });

  test('a manifest page says why it is held, rule by rule; a pull-only user sees neither', async () => {
    const { page } = await open(ADMIN_USER, ADMIN_PASSWORD);
    await go(page, `/portal/repositories/team-a/app/-/manifests/${img.digest}`);
    const why = page.locator('.why-held');
    await why.waitFor({ timeout: 15_000 });
    const text = await why.innerText();
    assert.match(text, /Release policy team-a/);
    assert.match(text, /hold\s+no-critical \(vulnerabilities\): no vulnerability report yet/);
    // An Owner without quarantine read may not see the held image: no history either, and no second error box for it.
    await page.getByRole('alert').first().waitFor({ timeout: 15_000 });
    assert.equal(await page.getByRole('heading', { name: 'History' }).count(), 0);
    const puller = await open('puller', 'puller-password-1');
    await go(puller.page, `/portal/repositories/team-a/app/-/manifests/${img.digest}`);
    await puller.page.getByRole('alert').waitFor({ timeout: 15_000 });
    assert.equal(await puller.page.locator('.why-held').count(), 0);
    assert.doesNotMatch(await puller.page.locator('main').innerText(), /no-critical|Release policy/);
  });
});
