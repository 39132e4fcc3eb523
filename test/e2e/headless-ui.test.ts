// The whole headless app as a user meets it: the agent process, its HTTP/WS API, the built UI in a real Chromium.
import assert from 'node:assert/strict';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, screenshot } from '../helpers/browser.js';
import { tempDir } from '../helpers/fakes.js';
import { rpc, startHeadless, type Headless } from '../helpers/headless.js';

let browser: Browser;
let home: string;
let agent: Headless;
let page: Page;

before(async () => {
  home = await tempDir();
  [browser, agent] = await Promise.all([launchBrowser(), startHeadless(home)]);
  page = await browser.newPage();
});
after(async () => {
  await browser?.close();
  await agent?.stop();
});

const shareSwitch = () => page.getByRole('switch', { name: 'Share resources' });
const switchIs = (on: boolean) => page.waitForSelector(`[role=switch][aria-checked="${on}"]`);

test('the printed link opens the dashboard, and the token leaves the address bar', { timeout: 300_000 }, async () => {
  await page.goto(agent.url);
  await switchIs(false);
  assert.equal(new URL(page.url()).hash, '');
  await page.getByTestId('status').getByText('Sharing is off. Turn it on').waitFor();
  await screenshot(page, 'dashboard');
});

test('flipping the toggle turns sharing on in the agent, with the reason shown', { timeout: 300_000 }, async () => {
  await shareSwitch().click();
  await switchIs(true);
  const state = (await rpc(agent, 'getState')) as { value: { sharing: boolean; work: { blocker: string | null } } };
  assert.equal(state.value.sharing, true);
  // No wallet yet: what stops earning is said in the status, with the way out beside it (one status model).
  assert.ok(state.value.work.blocker);
  await page.getByTestId('status').getByText(state.value.work.blocker).waitFor();
  await page.getByTestId('fix').getByRole('link', { name: 'Create or import a wallet' }).waitFor();
  await page.getByText('Sharing turned on').waitFor();
  await screenshot(page, 'dashboard-sharing');
});

test('a change made elsewhere (tray, API) reaches the page live', { timeout: 300_000 }, async () => {
  await rpc(agent, 'setShare', { on: false });
  await switchIs(false);
  await rpc(agent, 'setShare', { on: true });
  await switchIs(true);
});

test('settings save on change; an invalid value shows its error and saves nothing', { timeout: 300_000 }, async () => {
  await page.getByRole('navigation').getByRole('link', { name: 'Settings' }).click();
  const cpu = page.getByLabel('CPU share');
  await cpu.fill('75');
  await cpu.press('Tab');
  await page.locator('#cpu-share-save').getByText('Saved', { exact: true }).waitFor();
  await cpu.fill('150');
  await cpu.press('Tab');
  await page.getByText('At most 100 %').waitFor();
  assert.equal(await cpu.getAttribute('aria-invalid'), 'true');
  await screenshot(page, 'settings-invalid');
  const url = page.getByLabel('Network address');
  await url.fill('http://coordinator.example');
  await url.press('Tab');
  await page.getByText('Use an https:// address').waitFor();
  const settings = (await rpc(agent, 'getSettings')) as { value: { cpuSharePercent: number; network: { coordinatorUrl: string | null } } };
  assert.equal(settings.value.cpuSharePercent, 75);
  assert.equal(settings.value.network.coordinatorUrl, null, 'an http address for a remote host is refused');
});

test('the activity log explains what happened and can be searched', { timeout: 300_000 }, async () => {
  await page.getByRole('navigation').getByRole('link', { name: 'Activity' }).click();
  await page.getByLabel('Search').fill('turned on');
  await page
    .getByRole('status')
    .getByText(/^\d+ of \d+ events$/)
    .waitFor();
  const items = await page.locator('ol.activity li').allTextContents();
  assert.ok(items.length > 0 && items.every((text) => text.includes('turned on')), JSON.stringify(items));
  await page.getByLabel('Search').fill('');
  await screenshot(page, 'activity');
});

test('settings and the toggle survive an agent restart', { timeout: 300_000 }, async () => {
  await agent.stop();
  await page.getByText('This page cannot reach Synor Contributor').waitFor();
  agent = await startHeadless(home);
  await page.goto(agent.url);
  await switchIs(true);
  await page.getByRole('navigation').getByRole('link', { name: 'Settings' }).click();
  assert.equal(await page.getByLabel('CPU share').inputValue(), '75');
  await screenshot(page, 'settings');
});

test('without the link the page says how to get in, and the API refuses it', { timeout: 300_000 }, async () => {
  const stranger = await browser.newPage();
  await stranger.goto(agent.origin);
  await stranger.getByText('needs the access link').waitFor();
  const status = await stranger.evaluate(() =>
    fetch('/api/rpc', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"cmd":"getState"}' }).then(
      (r) => r.status,
    ),
  );
  assert.equal(status, 401);
  await screenshot(stranger, 'no-token');
  await stranger.close();
});

test('a corrupt settings file: clear message, old file kept aside, app runs on defaults', { timeout: 300_000 }, async () => {
  await agent.stop();
  await writeFile(join(home, 'config', 'settings.json'), '{"schemaVersion":1,"sharing":tr');
  agent = await startHeadless(home);
  await page.goto(agent.url);
  const alert = page.getByRole('alert').filter({ hasText: 'could not be used' });
  await alert.waitFor();
  const aside = (await readdir(join(home, 'config'))).filter((name) => name.includes('.bad-'));
  assert.equal(aside.length, 1);
  assert.match((await alert.textContent()) ?? '', /not valid JSON.*kept as .*settings\.json\.bad-/);
  await switchIs(false);
  await screenshot(page, 'dashboard-corrupt-settings');
  await alert.getByRole('button', { name: 'Dismiss' }).click();
  await alert.waitFor({ state: 'detached' });
});
