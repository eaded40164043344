/**
 * Browser-test support for the portal: a real headless Chromium (Debian's /usr/bin/chromium,
 * never a downloaded browser) driven by playwright-core, sign-in, screenshots under
 * test-output/portal/, and an axe-core accessibility check injected into the page.
 *
 * Every page a test opens records console errors and CSP violations; `assertCleanConsole`
 * fails the test if the portal broke its own Content-Security-Policy.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.LAZARET_CHROMIUM ?? '/usr/bin/chromium';
export const HAS_CHROMIUM = existsSync(CHROMIUM);
export const PORTAL_BUILT = existsSync(new URL('../../portal/dist/index.html', import.meta.url));
export const SCREENSHOT_DIR = new URL('../../test-output/portal/', import.meta.url).pathname;

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export interface PortalPage {
  context: BrowserContext;
  page: Page;
  problems: string[];
}

/** A fresh context (no shared state between identities) at 1280x800 unless told otherwise. */
export async function openPortal(browser: Browser, baseUrl: string, viewport = { width: 1280, height: 800 }): Promise<PortalPage> {
  const context = await browser.newContext({ viewport, baseURL: baseUrl });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (msg) => {
    const text = msg.text();
    // Failed API calls (401/403/404 the portal expects and renders) are logged by Chromium as
    // resource errors; only script errors and CSP violations are problems.
    if (msg.type() === 'error' && !/Failed to load resource/.test(text)) problems.push(text);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  await page.goto('/portal/');
  return { context, page, problems };
}

export function assertCleanConsole(p: PortalPage) {
  assert.deepEqual(p.problems, [], 'the portal logged errors (CSP violations or script errors)');
}

export async function signIn(page: Page, username: string, password: string) {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

export async function screenshot(page: Page, name: string) {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[] }[];
}

/**
 * Runs axe-core in the page (through the DevTools protocol, which the page's CSP does not
 * govern) and returns the serious and critical violations.
 */
export async function seriousA11yViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(`${axeSource}\n;void 0`);
  const violations = (await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: AxeViolation[] }> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'], runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) }));
  })) as AxeViolation[];
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

export function formatViolations(violations: AxeViolation[]): string {
  return violations.map((v) => `${v.impact} ${v.id}: ${v.help} at ${JSON.stringify(v.nodes.slice(0, 3).map((n) => n.target))}`).join('\n');
}
