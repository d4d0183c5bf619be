/**
 * The dashboard in a real headless Chromium (Debian's, driven by playwright-core) against the
 * real demo process: the page loads with its token and follows the process live (server-sent
 * events); Reload shows the report; a broken module tints the page red and says why (file,
 * line, code frame), the next successful reload clears it; no token or a wrong one is refused;
 * a cross-site form cannot press the buttons.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOnce } from '../helpers/build-once.js';
import { type Demo, startDemo } from '../helpers/operator-demo.js';
import { killAll } from '../helpers/process.js';

const chromiumPath = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
if (!chromiumPath) {
  console.warn('!!! chromium is not installed: the dashboard browser suite is SKIPPED');
}

const brokenGreeter = `export function greet(name: string, greeting: string): string {
  return \`\${greeting}, \${name}\` +;
}
`;
const goodGreeter = `export function greet(name: string, greeting: string, punctuation: string): string {
  return \`\${greeting}, \${name}\${punctuation}\`;
}
`;

/** GETs a URL with a forged Host header (fetch cannot set one). */
function statusWithHost(url: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    httpGet(url, { headers: { host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject);
  });
}

/** The computed style of the red tint layer, read in the page (the suite has no DOM types). */
const tintStyle = `(() => {
  const style = getComputedStyle(document.getElementById('tint'));
  return { display: style.display, background: style.backgroundColor };
})()`;

describe.skipIf(!chromiumPath)('the dashboard in Chromium', () => {
  let demo: Demo;
  let context: BrowserContext;
  let page: Page;
  let profile: string;

  beforeAll(async () => {
    await buildOnce(['dist/cli/bin.js', 'dist/operator.js', 'dist/index.js']);
    demo = await startDemo();
    profile = mkdtempSync(join(tmpdir(), 'hs-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: chromiumPath,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = await context.newPage();
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await demo?.stop();
    await killAll();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  const origin = () => new URL(demo.dashboard).origin;
  const reloads = async () => JSON.parse((await demo.cli(['history', '--json'])).stdout).length;

  it('refuses the page, its events and its state without the token or with a wrong one', async () => {
    for (const path of ['/', '/?token=wrong', '/events', '/api/state?token=', '/index.html']) {
      const res = await page.goto(`${origin()}${path}`);
      expect(res?.status(), path).toBe(401);
    }
    expect(await page.textContent('h1')).toBe('401: token missing or wrong');
  });

  it('loads with the token, shows the units, and follows the process live', async () => {
    const res = await page.goto(demo.dashboard);
    expect(res?.status()).toBe(200);
    // A selector, not a string predicate: Playwright evaluates those with eval, which the
    // dashboard's CSP (script-src 'self') refuses at times.
    await page
      .locator('#live')
      .filter({ hasText: /^live$/ })
      .waitFor();
    expect(await page.textContent('#name')).toBe('operator-demo');
    expect(await page.textContent('#pid')).toBe(`pid ${demo.pid}`);
    const units = await page.$$eval('#units tbody tr', (rows) =>
      rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent)),
    );
    expect(units.map((u) => [u[0], u[1], u[2]])).toEqual([
      ['config', 'config', '1'],
      ['code', 'code', '1'],
      ['greeter', 'module', '1'],
      ['ticker', 'worker', '1'],
    ]);
    expect(await page.textContent('#workers tbody')).toContain('ticker');
    expect(await page.textContent('#leases')).toContain('0 in flight');
    expect(await page.isHidden('#banner')).toBe(true);

    // A reload from elsewhere (the CLI) reaches the open page through server-sent events.
    const rehash = JSON.parse((await demo.cli(['rehash', '--json'])).stdout);
    const item = await page.waitForSelector(`#timeline li[data-report-id="${rehash.id}"]`);
    expect(await item.textContent()).toContain('(control by');
    // A drain, too: the state pill appears and goes.
    await demo.cli(['drain']);
    await page.waitForSelector('#drain:not([hidden])');
    await demo.cli(['undrain']);
    await page.waitForSelector('#drain[hidden]', { state: 'attached' });
  });

  it('Reload runs a reload and shows its report', async () => {
    const before = await reloads();
    await page.click('#reload');
    const report = await page.waitForSelector('#last-report[data-report-id]');
    const id = Number(await report.getAttribute('data-report-id'));
    expect(id).toBe(before + 1);
    expect(await report.getAttribute('data-ok')).toBe('true');
    const text = await report.textContent();
    expect(text).toContain(`reload #${id} (dashboard by browser): 4 unchanged in`);
    expect(text).toContain('unchanged greeter');
    await page.waitForSelector(`#timeline li[data-report-id="${id}"]`);
  });

  it('a broken module tints the page red and says why; the next good reload clears it', async () => {
    demo.app.write({ 'greeter.ts': brokenGreeter });
    await page.click('#reload');
    await page.waitForSelector('body.failed');
    const tint = await page.evaluate(tintStyle);
    expect(tint).toEqual({ display: 'block', background: 'rgba(255, 72, 64, 0.12)' });
    expect(await page.isVisible('#banner')).toBe(true);
    expect(await page.textContent('#banner-title')).toMatch(/^Reload #\d+ failed in /);
    const message = await page.textContent('#banner-message');
    expect(message).toContain('HS_ERR_LOADER_SYNTAX');
    expect(message).toContain('greeter.ts:2:');
    expect(await page.textContent('#banner-frame')).toMatch(/> 2 \|/);
    expect(await page.textContent('#last-report')).toContain('failed: nothing changed');
    expect(await page.title()).toBe('✖ hotswap · operator-demo');
    // The old version still serves.
    expect(await (await fetch(`${demo.base}/hello?name=zoe`)).text()).toBe('Hello, zoe!\n');

    demo.app.write({ 'greeter.ts': goodGreeter });
    await page.click('#reload');
    await page.waitForSelector('body:not(.failed)');
    expect(await page.isHidden('#banner')).toBe(true);
    expect(await page.evaluate(tintStyle)).toMatchObject({ display: 'none' });
    expect(await page.getAttribute('#last-report', 'data-ok')).toBe('true');
  });

  it('Rehash reloads the configuration; a broken config turns the page red live, even from the CLI', async () => {
    demo.app.write({ 'config.yaml': 'greeting: [\n' });
    await demo.cli(['rehash']); // not the page: the red tint comes over server-sent events
    await page.waitForSelector('body.failed');
    expect(await page.textContent('#banner-message')).toContain('HS_ERR_CONFIG_PARSE');
    expect(await page.textContent('#banner-message')).toContain('config.yaml:2');

    demo.app.write({ 'config.yaml': 'greeting: Servus\npunctuation: "!"\n' });
    await page.click('#rehash');
    await page.waitForSelector('body:not(.failed)');
    expect(await page.textContent('#last-report')).toMatch(
      /\(dashboard by browser\): 1 refreshed, 1 unchanged/,
    );
    expect(await (await fetch(`${demo.base}/hello?name=zoe`)).text()).toBe('Servus, zoe!\n');
  });

  it('cannot be pressed from another site: a cross-site form and a header-less fetch are refused', async () => {
    const before = await reloads();
    // A page of another site, in the same browser, with a form aimed at the dashboard.
    const token = new URL(demo.dashboard).searchParams.get('token') ?? '';
    await page.goto('about:blank');
    await page.setContent(
      `<form method="post" action="${origin()}/api/reload?token=${token}"><button id="go">win a prize</button></form>`,
    );
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.url().startsWith(`${origin()}/api/reload`)),
      page.click('#go'),
    ]);
    expect(response.status()).toBe(401);

    // The dashboard's own origin, without the header its script sends.
    await page.goto(demo.dashboard);
    const plain = await page.evaluate(
      "fetch('/api/reload', { method: 'POST' }).then((res) => res.status)",
    );
    expect(plain).toBe(401);
    const foreign = await fetch(`${origin()}/api/reload`, {
      method: 'POST',
      headers: { 'x-hotswap-token': token, origin: 'http://evil.example' },
    });
    expect(foreign.status).toBe(403);
    // DNS rebinding: a page on another name that resolves to 127.0.0.1 sends its own Host.
    expect(await statusWithHost(demo.dashboard, 'evil.example')).toBe(421);
    expect(await reloads()).toBe(before);
  });
});
