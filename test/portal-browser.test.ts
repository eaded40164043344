/**
 * The portal in real headless Chromium against a real registry in token mode: sign-in and
 * sign-out, the policy switch with its preflight count, a held push in the queue, a quarantine
 * writer passing it (badge, audit entry and the manifest page's history timeline), a pull-only user who sees the held image nowhere,
 * a webhook created, pinged and its delivery shown, phone-width layout, a scan's findings and
 * report links on the manifest page and the Scanners page, and axe-core on the main pages.
 * Screenshots go to test-output/portal/.
 *
 * One registry and one browser serve the whole story (the scenarios build on each other, in
 * order); every identity gets its own browser context, so nothing is shared between sign-ins.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { ADMIN_PASSWORD, ADMIN_USER, adminAuth, createUser, startTokenServer } from './helpers/identities.ts';
import { createRegistryClient, type RegistryClient } from './helpers/registry-client.ts';
import { pushIndex } from './helpers/quarantine-fixtures.ts';
import { startReceiver, type Receiver, RECEIVER_CONFIG } from './helpers/webhook-receiver.ts';
import { startTrivyLikeAdapter } from './helpers/trivy-like-adapter.ts';
import type { TestServer } from './helpers/server.ts';
import { skipUnless } from './helpers/environment.ts';
import {
  HAS_CHROMIUM,
  PORTAL_BUILT,
  assertCleanConsole,
  formatViolations,
  launchBrowser,
  openPortal,
  screenshot,
  seriousA11yViolations,
  signIn,
  type PortalPage,
} from './helpers/portal.ts';

const skip = skipUnless(HAS_CHROMIUM && PORTAL_BUILT, HAS_CHROMIUM ? 'portal/dist is missing: run `npm run build:portal`' : 'no /usr/bin/chromium (apt-get install chromium)');

const WRITER = { user: 'writer', password: 'writer-password-1' };
const PULLER = { user: 'puller', password: 'puller-password-1' };

/** Client-side navigation (a reload would sign out: the session lives in memory only). */
async function go(page: Page, path: string) {
  await page.evaluate((p) => {
    history.pushState(null, '', p);
    dispatchEvent(new PopStateEvent('popstate'));
  }, path);
}

/** A link of the main navigation (breadcrumbs repeat some names). */
const nav = (page: Page, name: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });

async function noLoading(page: Page) {
  await page.locator('.loading').first().waitFor({ state: 'detached', timeout: 15_000 }).catch(() => undefined);
  await page.waitForFunction(() => document.querySelectorAll('.loading').length === 0, undefined, { timeout: 15_000 });
}

async function checkA11y(page: Page, where: string) {
  const violations = await seriousA11yViolations(page);
  assert.equal(violations.length, 0, `${where}: serious accessibility violations:\n${formatViolations(violations)}`);
}

describe('portal in headless Chromium', { skip, timeout: 180_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let admin: RegistryClient;
  let receiver: Receiver;
  const opened: PortalPage[] = [];
  let heldDigest = '';
  let secretDigest = '';

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(server.url + path, {
      method,
      headers: { authorization: adminAuth(), ...(body || method !== 'GET' ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    assert.ok(res.ok, `${method} ${path}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };

  const open = async (who: { user: string; password: string }, viewport?: { width: number; height: number }) => {
    const p = await openPortal(browser, server.url, viewport);
    opened.push(p);
    await signIn(p.page, who.user, who.password);
    return p;
  };

  before(async () => {
    server = await startTokenServer({ ...RECEIVER_CONFIG });
    await createUser(server, WRITER.user, WRITER.password, [{ role: 'AcrQuarantineWriter' }, { role: 'Reader' }]);
    await createUser(server, PULLER.user, PULLER.password, [{ role: 'AcrPull' }]);
    admin = createRegistryClient(server.url, { authorization: adminAuth() });
    receiver = await startReceiver(() => 200);
    browser = await launchBrowser();
  });

  after(async () => {
    for (const p of opened) assertCleanConsole(p);
    await browser?.close();
    await receiver?.close();
    await server?.close();
  });

  test('sign-in: a wrong password is refused, the keyboard signs in, nothing is stored, sign-out forgets the session', async () => {
    const p = await openPortal(browser, server.url);
    opened.push(p);
    const { page } = p;
    await page.getByRole('heading', { name: /Lazaret/ }).waitFor();
    await checkA11y(page, 'sign-in');
    await screenshot(page, 'signin');

    await page.getByLabel('Username').fill(ADMIN_USER);
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await assert.doesNotReject(page.getByRole('alert').filter({ hasText: 'not correct' }).waitFor());

    // Keyboard only: the username field has focus after the error; Tab, type, Enter.
    await page.getByLabel('Username').focus();
    await page.keyboard.press('Control+A');
    await page.keyboard.type(ADMIN_USER);
    await page.keyboard.press('Tab');
    await page.keyboard.type(ADMIN_PASSWORD);
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();

    const stored = await page.evaluate(() => ({ local: localStorage.length, session: sessionStorage.length, cookie: document.cookie }));
    assert.deepEqual(stored, { local: 0, session: 0, cookie: '' });
    assert.deepEqual(await p.context.cookies(), []);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    // A reload after sign-in also starts over: the session was only in memory.
    await signIn(page, ADMIN_USER, ADMIN_PASSWORD);
    await page.reload();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
  });

  test('owner turns the policy on: the preflight count is shown first, Cancel changes nothing', async () => {
    // Two manifests pushed before the policy exists: enabling would hold both.
    await admin.pushImage('legacy/app', 'v1');
    await admin.pushImage('legacy/app', 'v2');
    const { page } = await open({ user: ADMIN_USER, password: ADMIN_PASSWORD });
    await nav(page, 'Quarantine').click();
    await assert.doesNotReject(page.getByTestId('policy-status').filter({ hasText: 'disabled' }).waitFor());

    await page.getByRole('button', { name: 'Enable policy…' }).click();
    const dialog = page.getByRole('dialog');
    await assert.doesNotReject(dialog.getByTestId('preflight-count').filter({ hasText: 'Enabling now would hold 2 manifests' }).waitFor());
    await checkA11y(page, 'enable dialog');
    await screenshot(page, 'quarantine-enable-preflight');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    assert.equal((await api('GET', '/api/v1/policies')).quarantinePolicy.status, 'disabled');

    await page.getByRole('button', { name: 'Enable policy…' }).click();
    await dialog.getByRole('button', { name: 'Enable and hold 2' }).click();
    await assert.doesNotReject(page.getByTestId('policy-status').filter({ hasText: 'enabled' }).waitFor());
    assert.equal((await api('GET', '/api/v1/policies')).quarantinePolicy.status, 'enabled');
    const audit = await api('GET', '/api/v1/audit?action=policy.change');
    assert.equal(audit.entries[0].actor, ADMIN_USER);

    // The backlog: grandfather both legacy manifests, with confirmation.
    await page.getByRole('button', { name: 'Grandfather…' }).click();
    await dialog.getByRole('button', { name: 'Mark as Passed' }).click();
    await assert.doesNotReject(page.getByRole('status').filter({ hasText: 'Marked 2 manifests without a verdict as Passed' }).waitFor());
  });

  test('a push with the policy on appears in the queue, held, for a quarantine writer', async () => {
    heldDigest = (await admin.pushImage('team-a/web', 'v1')).digest;
    const { page } = await open(WRITER);
    await nav(page, 'Quarantine').click();
    const row = page.getByRole('row').filter({ hasText: 'team-a/web:v1' });
    await row.waitFor();
    assert.equal(await row.locator('.badge').innerText(), 'held');
    assert.match(await row.innerText(), new RegExp(heldDigest.slice(0, 19)));
    await noLoading(page);
    await checkA11y(page, 'quarantine queue');
    await screenshot(page, 'quarantine');
  });

  test('the writer passes it: the badge changes and the audit entry names the writer and keeps the note', async () => {
    const { page } = await open(WRITER);
    await nav(page, 'Quarantine').click();
    const row = page.getByRole('row').filter({ hasText: 'team-a/web:v1' });
    await row.getByRole('button', { name: 'Pass' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Note (optional)').fill('scanned by hand');
    await dialog.getByRole('button', { name: 'Pass' }).click();
    await row.waitFor({ state: 'detached' });

    const verdict = await api('GET', `/acr/v1/team-a/web/_manifests/${heldDigest}`);
    assert.equal(verdict.manifest.changeableAttributes.quarantineState, 'Passed');
    const audited = await api('GET', `/api/v1/audit?action=verdict.change&target=${encodeURIComponent(`team-a/web@${heldDigest}`)}`);
    assert.equal(audited.entries[0].details, 'scanned by hand', 'the note typed in the dialog is in the audit entry');

    await nav(page, 'Repositories').click();
    await page.getByRole('link', { name: 'team-a/web' }).click();
    const tagRow = page.getByRole('row').filter({ hasText: 'v1' }).first();
    await assert.doesNotReject(tagRow.locator('.badge', { hasText: 'passed' }).waitFor());
    await noLoading(page);
    await checkA11y(page, 'repository');
    await screenshot(page, 'repository');

    await tagRow.getByRole('link').click();
    await page.getByRole('heading', { name: 'History' }).waitFor();
    const history = page.getByRole('row').filter({ hasText: 'Quarantined → Passed' });
    await history.waitFor();
    assert.match(await history.innerText(), /writer/);
    // The whole timeline from the history endpoint, oldest first: the push (who, the tag), the
    // push-time hold, the writer's release; each from the audit log.
    const timeline = page.getByRole('table', { name: "The image's history, oldest first" }).locator('tbody tr');
    const rows = await timeline.allInnerTexts();
    assert.ok(rows.length >= 3, rows.join('\n'));
    assert.match(rows[0]!, /Pushed[\s\S]*admin[\s\S]*pushed by admin as v1[\s\S]*audit log/);
    assert.match(rows[1]!, /Verdict[\s\S]*no verdict → Quarantined by admin/);
    assert.ok(rows.findIndex((r) => /Quarantined → Passed by writer/.test(r)) > 1, rows.join('\n'));
    await noLoading(page);
    await checkA11y(page, 'manifest');
    await screenshot(page, 'manifest');
  });

  test('a pull-only user sees the held image nowhere', async () => {
    secretDigest = (await admin.pushImage('team-a/secret', 'v1')).digest;
    const heldAgain = await admin.pushImage('team-a/web', 'v2');
    const hidden = [secretDigest.slice(7, 19), heldAgain.digest.slice(7, 19), 'team-a/secret', ':v2'];
    const { page } = await open(PULLER);
    const assertHidden = async (where: string) => {
      await noLoading(page);
      const html = await page.content();
      for (const h of hidden) assert.ok(!html.includes(h), `${where} shows ${h} to a pull-only user`);
    };
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await assertHidden('overview');
    await nav(page, 'Repositories').click();
    await page.getByRole('link', { name: 'team-a/web' }).waitFor();
    await assertHidden('repositories');
    await page.getByRole('link', { name: 'team-a/web' }).click();
    await page.getByRole('row').filter({ hasText: 'v1' }).first().waitFor();
    await assertHidden('repository team-a/web');
    await nav(page, 'Quarantine').click();
    await page.getByText('Nothing is held that you may see').waitFor();
    await assertHidden('quarantine');
    // Even the direct address of the held manifest shows only a refusal.
    await go(page, `/portal/repositories/team-a/secret/-/manifests/${secretDigest}`);
    await page.getByRole('alert').first().waitFor();
    await noLoading(page);
    const text = await page.locator('main').innerText();
    assert.ok(!/Layers|Config|Pull\n/.test(text), 'no content of the held manifest');
  });

  test('webhooks: create one, ping it, see the delivery with its request and response, redeliver, disable', async () => {
    const { page } = await open({ user: ADMIN_USER, password: ADMIN_PASSWORD });
    await nav(page, 'Webhooks').click();
    await page.getByText('No webhooks yet').waitFor();
    await page.getByRole('button', { name: 'New webhook' }).click();
    await page.getByLabel('Name', { exact: true }).fill('scanner1');
    await page.getByLabel('Service URI').fill(`${receiver.url}/hook`);
    await page.getByRole('button', { name: 'Create webhook' }).click();
    await page.getByRole('heading', { name: 'scanner1' }).waitFor();

    await page.getByRole('button', { name: 'Ping' }).click();
    const [ping] = await receiver.waitFor((r) => r.some((x) => x.json?.action === 'ping'), 10_000, 'the ping');
    const pingId = receiver.received.find((x) => x.json?.action === 'ping')!.json.id as string;
    assert.ok(ping);
    // The log refreshes on demand: poll the button until the delivery shows as delivered.
    const delivery = page.getByTestId('delivery').filter({ hasText: 'ping' });
    for (let i = 0; i < 40 && !(await delivery.filter({ hasText: 'delivered' }).count()); i++) {
      await page.getByRole('button', { name: 'Refresh log' }).click();
      await page.waitForTimeout(250);
    }
    await assert.doesNotReject(delivery.filter({ hasText: 'delivered' }).waitFor({ timeout: 1000 }));
    assert.match(await delivery.innerText(), /HTTP 200/);
    await delivery.getByText('Attempt 1').click();
    const attempt = await delivery.locator('details.attempt[open]').innerText();
    assert.match(attempt, new RegExp(`POST ${receiver.url}/hook`));
    assert.match(attempt, /HTTP 200/);
    await noLoading(page);
    await checkA11y(page, 'webhook');
    await screenshot(page, 'webhook');

    await delivery.getByRole('button', { name: /Redeliver/ }).click();
    await receiver.waitFor((r) => r.filter((x) => x.json?.id === pingId).length >= 2, 10_000, 'the redelivery');

    await page.getByRole('button', { name: 'Disable' }).click();
    await assert.doesNotReject(page.getByTestId('webhook-status').filter({ hasText: 'disabled' }).waitFor());
    assert.equal((await api('GET', '/api/v1/webhooks/scanner1')).properties.status, 'disabled');

    await nav(page, 'Webhooks').click();
    await page.getByRole('link', { name: 'scanner1' }).waitFor();
    await noLoading(page);
    await checkA11y(page, 'webhooks');
    await screenshot(page, 'webhooks');
  });

  test('overview and repositories for the owner; axe finds nothing serious', async () => {
    const { page } = await open({ user: ADMIN_USER, password: ADMIN_PASSWORD });
    await page.getByRole('heading', { name: 'Recent verdicts' }).waitFor();
    await noLoading(page);
    const cards = await page.locator('.stat-card').allInnerTexts();
    assert.ok(cards.some((c) => /^2\s+Held, waiting for a verdict/.test(c)), `held count: ${cards.join(' | ')}`);
    await checkA11y(page, 'overview');
    await screenshot(page, 'overview');
    await nav(page, 'Repositories').click();
    await page.getByRole('link', { name: 'legacy/app' }).waitFor();
    await page.getByLabel('Search').fill('leg');
    await page.getByRole('link', { name: 'team-a/web' }).waitFor({ state: 'detached' });
    await page.getByLabel('Search').fill('');
    await noLoading(page);
    await checkA11y(page, 'repositories');
    await screenshot(page, 'repositories');
  });

  test('access: the owner creates a user with a generated password shown once and assigns a role; others get no Access page', async () => {
    const { page } = await open({ user: ADMIN_USER, password: ADMIN_PASSWORD });
    await nav(page, 'Access').click();
    await page.getByRole('heading', { name: 'Users and roles' }).waitFor();
    await page.getByRole('button', { name: 'New user' }).click();
    await page.getByLabel('User name').fill('carol');
    await page.getByRole('button', { name: 'Create user' }).click();
    const secret = page.getByLabel('Password of carol', { exact: true });
    await secret.waitFor();
    const password = await secret.inputValue();
    assert.ok(password.length >= 16, 'a generated password is shown');
    // It works: carol signs in with it through the token endpoint.
    const token = await fetch(`${server.url}/oauth2/token?scope=registry:catalog:*`, { headers: { authorization: `Basic ${Buffer.from(`carol:${password}`).toString('base64')}` } });
    assert.equal(token.status, 200);
    await page.getByRole('button', { name: 'Done' }).click();
    await secret.waitFor({ state: 'detached' });

    await page.getByLabel('Role for carol').selectOption('AcrPush');
    await page.getByLabel('Repository pattern for carol (empty: registry-wide)').fill('team-a/*');
    await page.getByRole('row').filter({ hasText: 'carol' }).getByRole('button', { name: 'Add' }).click();
    await page.getByRole('row').filter({ hasText: 'carol' }).getByText('AcrPush on team-a/*').waitFor();
    const users = await api('GET', '/api/v1/users');
    assert.deepEqual(users.find((u: { name: string }) => u.name === 'carol').roles, [{ role: 'AcrPull' }, { role: 'AcrPush', repository: 'team-a/*' }]);
    await page.getByRole('heading', { name: 'Scope maps' }).waitFor();
    await noLoading(page);
    await checkA11y(page, 'access');
    await screenshot(page, 'access');

    const writer = await open(WRITER);
    await nav(writer.page, 'Overview').waitFor();
    assert.equal(await nav(writer.page, 'Access').count(), 0);
    await go(writer.page, '/portal/access');
    await writer.page.getByText('managed by registry owners').waitFor();
  });

  test('phone width: no page scrolls sideways', async () => {
    const { page } = await open(WRITER, { width: 390, height: 844 });
    for (const [link, name] of [
      ['Overview', 'phone-overview'],
      ['Quarantine', 'phone-quarantine'],
      ['Repositories', 'phone-repositories'],
    ] as const) {
      await nav(page, link).click();
      await noLoading(page);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 1, `${link} is ${overflow}px wider than the screen`);
      await screenshot(page, name);
    }
  });

  test('scans: the manifest page shows the scan, its findings (filtered) and report links; the Scanners page lists the scanner with its health', async () => {
    const adapter = await startTrivyLikeAdapter();
    try {
      await api('POST', '/api/v1/scanners', { name: 'trivy', url: adapter.url, default: true });
      const image = await admin.pushImage('team-b/api', 'v1');
      adapter.findings.set(image.digest, [
        { id: 'CVE-2021-44906', package: 'minimist', version: '1.2.5', fix_version: '1.2.6', severity: 'Critical' },
        { id: 'CVE-2021-23337', package: 'lodash', version: '4.17.20', severity: 'High' },
      ]);
      for (let i = 0; i < 150 && (await api('GET', `/api/v1/scans?digest=${image.digest}`)).scans[0]?.state !== 'succeeded'; i++) await new Promise((r) => setTimeout(r, 100));

      const { page } = await open(WRITER);
      await go(page, `/portal/repositories/team-b/api/-/manifests/${image.digest}`);
      await page.getByRole('heading', { name: 'Scan' }).waitFor();
      await page.getByRole('table', { name: 'Findings' }).waitFor();
      await noLoading(page);
      assert.equal(await page.locator('.scan-summary').innerText(), '1 Critical, 1 High (fails the image)');
      const findings = page.getByRole('table', { name: 'Findings' });
      assert.equal(await findings.locator('tbody tr').count(), 2);
      assert.match(await findings.locator('tbody tr').first().innerText(), /CVE-2021-44906\s+Critical\s+minimist/, 'most severe first');
      await page.getByLabel('Severity').selectOption('High');
      assert.equal(await findings.locator('tbody tr').count(), 1);
      await page.getByLabel('Fix available').check();
      assert.equal(await findings.locator('tbody tr').count(), 0, 'the High finding has no fix');
      await page.getByText('No finding matches the filter.').waitFor();
      await checkA11y(page, 'manifest with scan');
      await screenshot(page, 'manifest-scan');
      // The report and SBOMs are referrers; their links open the artifacts.
      for (const label of ['Vulnerability report', 'SBOM (CycloneDX)', 'SBOM (SPDX)']) await page.getByRole('link', { name: label }).waitFor();
      await page.getByRole('link', { name: 'Vulnerability report' }).click();
      await page.getByText('Refers to').waitFor();
      // The queue says per image what its scan said.
      await nav(page, 'Quarantine').click();
      await page.getByLabel('Show').selectOption('failed');
      const queued = page.getByRole('row').filter({ hasText: 'team-b/api:v1' });
      await queued.waitFor();
      assert.equal(await queued.locator('.scan-status').innerText(), 'failed: 1 Critical, 1 High');

      const owner = await open({ user: ADMIN_USER, password: ADMIN_PASSWORD });
      await nav(owner.page, 'Scanners').click();
      const row = owner.page.getByRole('table', { name: 'Registered scanners' }).getByRole('row').filter({ hasText: 'trivy' });
      await row.waitFor();
      assert.match(await row.innerText(), /default[\s\S]*healthy[\s\S]*Trivy 0\.72\.0/);
      await checkA11y(owner.page, 'scanners');
      await screenshot(owner.page, 'scanners');
      // The overview's scanner card, from GET /api/v1/summary.
      await nav(owner.page, 'Overview').click();
      const card = owner.page.getByTestId('scanner-health');
      await card.filter({ hasText: 'trivy' }).waitFor();
      assert.match(await card.innerText(), /trivy\s+healthy[\s\S]*Trivy 0\.72\.0[\s\S]*Scan backlog: \d+ running, \d+ queued/);

      const puller = await open(PULLER);
      assert.equal(await nav(puller.page, 'Scanners').count(), 0);
      await go(puller.page, '/portal/scanners');
      await puller.page.getByText('managed by registry owners').waitFor();
    } finally {
      await adapter.close();
    }
  });
});

describe('portal with auth.mode none', { skip, timeout: 60_000 }, () => {
  test('the sign-in page offers to continue without credentials, and the gate still hides nothing it should not', async () => {
    const { startTestServer } = await import('./helpers/server.ts');
    const server = await startTestServer({ 'auth.mode': 'none', ...RECEIVER_CONFIG });
    const browser = await launchBrowser();
    try {
      const client = createRegistryClient(server.url);
      const amd = await client.pushImage('open/app', 'amd', { architecture: 'amd64' });
      const arm = await client.pushImage('open/app', 'arm', { architecture: 'arm64' });
      const index = await pushIndex(server.url, 'open/app', [
        { digest: amd.digest, size: amd.manifestBytes.length, architecture: 'amd64', os: 'linux' },
        { digest: arm.digest, size: arm.manifestBytes.length, architecture: 'arm64', os: 'linux' },
      ], 'v1');
      const sbom = await client.pushImage('open/app', 'sbom', {
        artifactType: 'application/spdx+json',
        subject: { mediaType: 'application/vnd.oci.image.index.v1+json', digest: index, size: 0 },
      });
      const p = await openPortal(browser, server.url);
      await p.page.getByRole('button', { name: 'Continue without signing in' }).click();
      await p.page.getByText('authentication off').waitFor();
      await nav(p.page, 'Repositories').click();
      await p.page.getByRole('link', { name: 'open/app' }).waitFor();
      // An index: its platforms and children; an SBOM that refers to it.
      await go(p.page, `/portal/repositories/open/app/-/manifests/${index}`);
      await p.page.getByRole('heading', { name: 'Platforms' }).waitFor();
      await noLoading(p.page);
      const children = await p.page.getByRole('table', { name: 'Child manifests' }).innerText();
      assert.match(children, /linux\/amd64/);
      assert.match(children, /linux\/arm64/);
      const referrers = await p.page.getByRole('table', { name: 'Referrers' }).innerText();
      assert.match(referrers, /application\/spdx\+json/);
      assert.match(referrers, new RegExp(sbom.digest.slice(0, 19)));
      await nav(p.page, 'Quarantine').click();
      // auth.mode none has no quarantine write: no verdict buttons anywhere.
      await noLoading(p.page);
      assert.equal(await p.page.getByRole('button', { name: 'Pass' }).count(), 0);
      assertCleanConsole(p);
    } finally {
      await browser.close();
      await server.close();
    }
  });
});

describe('portal storage page', { skip, timeout: 90_000 }, () => {
  test('GC runs, the retention rules and a dry-run preview that deletes nothing; a pull-only user is told, not shown', async () => {
    const server = await startTokenServer({ 'gc.intervalSeconds': 0 });
    const browser = await launchBrowser();
    try {
      await createUser(server, PULLER.user, PULLER.password, [{ role: 'AcrPull' }]);
      const api = async (method: string, path: string, body?: unknown) => {
        const res = await fetch(server.url + path, { method, headers: { authorization: adminAuth(), 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
        assert.ok(res.ok, `${method} ${path}: ${res.status}`);
        return res.json();
      };
      const client = createRegistryClient(server.url, { authorization: adminAuth() });
      await client.pushImage('storage/app', 'old');
      await new Promise((r) => setTimeout(r, 5));
      await client.pushImage('storage/app', 'new');
      await api('PUT', '/api/v1/retention', { untagged: [{ repositories: 'storage/*', days: 30 }], tags: [{ repositories: 'storage/*', keepLast: 1, keepTags: ['v*'] }] });
      await api('PUT', '/api/v1/quotas', { quotas: [{ repositories: 'storage/*', bytes: 1024 * 1024 }] });
      const { run } = await api('POST', '/api/v1/gc', { dryRun: true });
      for (let i = 0; i < 100 && (await api('GET', `/api/v1/gc/runs/${run.id}`)).run.status === 'running'; i++) await new Promise((r) => setTimeout(r, 100));

      const owner = await openPortal(browser, server.url);
      await signIn(owner.page, ADMIN_USER, ADMIN_PASSWORD);
      await nav(owner.page, 'Storage').click();
      const runs = owner.page.getByRole('table', { name: 'Garbage collection runs' });
      await runs.getByRole('row').filter({ hasText: 'dry run' }).waitFor();
      assert.match(await runs.innerText(), /dry run\s+done/);
      const rules = owner.page.getByRole('table', { name: 'Retention rules' });
      await rules.waitFor();
      assert.match(await rules.innerText(), /storage\/\*\s+tags\s+keep the newest 1; keep v\*; delete the rest/);
      assert.match(await rules.innerText(), /storage\/\*\s+untagged manifests\s+delete after 30 days/);
      await owner.page.getByRole('button', { name: 'Preview what the rules would delete' }).click();
      const preview = owner.page.getByRole('table', { name: 'What the retention rules would delete' });
      await preview.waitFor();
      await noLoading(owner.page);
      const text = await preview.innerText();
      assert.match(text, /storage\/app:old\s+beyond the newest kept/);
      assert.match(text, /storage\/app@sha256:\S+\s+its last tag goes/);
      assert.doesNotMatch(text, /storage\/app:new/);
      await owner.page.getByText('A dry run: nothing was deleted.').waitFor();
      assert.deepEqual((await (await fetch(`${server.url}/v2/storage/app/tags/list`, { headers: { authorization: adminAuth() } })).json()).tags.sort(), ['new', 'old'], 'the preview deleted nothing');
      const quota = owner.page.getByRole('table', { name: 'Quota usage' });
      await quota.waitFor();
      assert.match(await quota.innerText(), /storage\/app\s+storage\/\*\s+\S+ \S+ of 1\.0 MB/);
      await checkA11y(owner.page, 'storage');
      await screenshot(owner.page, 'storage');
      assertCleanConsole(owner);

      const puller = await openPortal(browser, server.url);
      await signIn(puller.page, PULLER.user, PULLER.password);
      assert.equal(await nav(puller.page, 'Storage').count(), 0, 'not in the menu');
      await go(puller.page, '/portal/storage');
      await puller.page.getByText('Garbage collection status is shown to registry owners.').waitFor();
      await puller.page.getByText('Retention rules are managed by registry owners and contributors').waitFor();
      assertCleanConsole(puller);
      await client.close();
    } finally {
      await browser.close();
      await server.close();
    }
  });
});
