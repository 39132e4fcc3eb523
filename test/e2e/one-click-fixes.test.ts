// Issue 28 items 7-8 in the real page against the real headless agent (built app, Chromium): the welcome text says
// what the defaults do, the Light preset's pause on a busy machine is undone by one click on the dashboard, the disk
// budget and automatic claims are in Settings, limits read "1 day", the badge says "Offline" with the reason in words
// while the network cannot be reached, and the page's lost connection reads as two sentences. Each changed state is
// saved at 1280×800 and 800×600 in test-results/, with axe finding no serious or critical violation in it.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { Settings } from '../../main/common/settings.js';
import { NO_WEBGPU } from '../../main/common/webgpu.js';
import { audit } from '../helpers/axe.js';
import { launchBrowser, screenshot } from '../helpers/browser.js';
import { tempDir } from '../helpers/fakes.js';
import { rpc, startHeadless, type Headless } from '../helpers/headless.js';

let browser: Browser;
let agent: Headless;
let page: Page;
const hogs: ChildProcess[] = [];

before(async () => {
  [browser, agent] = await Promise.all([launchBrowser(), startHeadless(await tempDir())]);
  // bypassCSP: axe injects its script, which the app's CSP rightly forbids.
  page = await (await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 800 } })).newPage();
  await page.goto(agent.url);
});
after(async () => {
  await stopHogs();
  await browser?.close();
  await agent?.stop();
});

const settings = async (): Promise<Settings> => ((await rpc(agent, 'getSettings')) as { value: Settings }).value;
const go = (name: string) => page.getByRole('navigation').getByRole('link', { name }).click();
const heading = (name: string) => page.getByRole('heading', { level: 1, name }).waitFor();

/** The page as it is now, at both sizes the issue asks for: saved, and no serious or critical axe violation. */
async function shots(name: string): Promise<void> {
  const found = await audit(page);
  await screenshot(page, `${name}-1280x800`);
  await page.setViewportSize({ width: 800, height: 600 });
  found.push(...(await audit(page)));
  await screenshot(page, `${name}-800x600`);
  await page.setViewportSize({ width: 1280, height: 800 });
  assert.deepEqual(found, [], `axe on ${name}`);
}

/** A program of the user's keeping every core busy: what "my programs are busy" means to the policy. */
function startHogs(): void {
  for (let i = 0; i < 2; i++) hogs.push(spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
}
async function stopHogs(): Promise<void> {
  await Promise.all(
    hogs.splice(0).map(async (hog) => {
      if (hog.exitCode !== null || hog.signalCode !== null) return;
      const exited = once(hog, 'exit');
      hog.kill('SIGKILL');
      await exited;
    }),
  );
}

test('the welcome text says what the defaults do: work starts at once, not "while you are away"', { timeout: 60_000 }, async () => {
  const welcome = page.getByTestId('welcome');
  await welcome.getByText('Once you turn sharing on').waitFor();
  const text = (await welcome.textContent()) ?? '';
  assert.doesNotMatch(text, /While you are away/);
  assert.match(text, /starts at once/);
  assert.equal((await settings()).idleOnly.enabled, false, 'the default the text describes');
  await shots('welcome');
});

test('the Light preset on a busy machine pauses, and one click on the dashboard keeps sharing', { timeout: 180_000 }, async () => {
  await page
    .getByTestId('welcome')
    .getByRole('button', { name: /^Light/ })
    .click();
  await page
    .getByTestId('welcome')
    .getByRole('button', { name: /^Light · active/ })
    .waitFor();
  // Sharing needs a wallet to earn to (the welcome card goes once there is one).
  assert.equal(((await rpc(agent, 'walletCreate', { passphrase: 'correct horse battery staple' })) as { ok: boolean }).ok, true);
  startHogs();
  await page.getByRole('switch', { name: 'Share resources' }).click();
  const fix = page.getByTestId('fix').getByRole('button', { name: 'Keep sharing while my programs are busy' });
  await fix.waitFor({ timeout: 120_000 });
  assert.match((await page.getByTestId('status').textContent()) ?? '', /Paused: your programs use \d+ % CPU/);
  assert.equal(await page.getByTestId('fix').getByRole('link').count(), 0, 'a button, not a link to Settings');
  await shots('dashboard-busy-light-preset');
  await fix.click();
  await page.getByTestId('fix').waitFor({ state: 'detached', timeout: 60_000 });
  assert.equal((await settings()).pauseWhenUserCpuAbovePercent, null);
  assert.doesNotMatch((await page.getByTestId('status').textContent()) ?? '', /your programs use/);
  await stopHogs();
  await shots('dashboard-busy-fixed');
  // Sharing was the point; earning on from here would only take the cores from the page's checks below.
  await rpc(agent, 'setShare', { on: false });
});

test('Settings: the disk budget for downloads, and limits of one read "1 day"', { timeout: 60_000 }, async () => {
  await go('Settings');
  await heading('Settings');
  const disk = page.getByLabel('Disk for downloads');
  assert.equal(await disk.inputValue(), '8');
  await disk.fill('12');
  await disk.press('Tab');
  await page.locator('#disk-budget-save').getByText('Saved').waitFor();
  assert.equal((await settings()).diskBudgetGiB, 12);
  const days = page.getByLabel('Keep per-task receipts for');
  await days.fill('0');
  await days.press('Tab');
  await page.locator('#detail-days-error').getByText('At least 1 day', { exact: true }).waitFor();
  assert.doesNotMatch((await page.locator('main').textContent()) ?? '', /1 days/);
  await shots('settings-disk-and-days');
  await days.fill('7');
  await days.press('Tab');
  await page.locator('#detail-days-save').getByText('Saved').waitFor();
});

test(
  'Settings: automatic claims are off by default; the threshold is typed in SYNOR and kept as exact wei',
  { timeout: 60_000 },
  async () => {
    const section = page.locator('#section-claims');
    const box = section.getByRole('checkbox', { name: 'Claim my earnings automatically' });
    const from = section.getByLabel('Claim automatically once there is at least');
    assert.equal(await box.isChecked(), false);
    assert.equal(await from.isDisabled(), true, 'the threshold waits for the switch');
    assert.equal(await from.inputValue(), '1');
    await box.check();
    await from.fill('0.000000000000000007');
    await from.press('Tab');
    await page.locator('#auto-claim-from-save').getByText('Saved').waitFor();
    assert.deepEqual((await settings()).autoClaim, { enabled: true, thresholdWei: '7' });
    await from.fill('0.1');
    await from.press('Tab');
    await page.locator('#auto-claim-from-save').getByText('Saved').waitFor();
    assert.deepEqual((await settings()).autoClaim, { enabled: true, thresholdWei: '100000000000000000' });
    await from.fill('ten');
    await from.press('Tab');
    await page.locator('#auto-claim-from-error').getByText('Enter an amount of SYNOR, such as 0.5').waitFor();
    assert.equal((await settings()).autoClaim.thresholdWei, '100000000000000000', 'nothing saved');
    await section.scrollIntoViewIfNeeded();
    await shots('settings-automatic-claims');
  },
);

test('the network cannot be reached: the badge says "Offline" and the reason is in words', { timeout: 120_000 }, async () => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const { port } = closed.address() as { port: number };
  await new Promise((resolve) => closed.close(resolve));
  const current = await settings();
  await rpc(agent, 'updateSettings', { sharing: true, network: { ...current.network, coordinatorUrl: `http://127.0.0.1:${port}` } });
  await go('Dashboard');
  await page
    .getByTestId('status')
    .getByText(`Cannot reach 127.0.0.1:${port}: the server refused the connection.`)
    .waitFor({ timeout: 90_000 });
  assert.equal(await page.getByTestId('header-status').textContent(), 'Offline');
  assert.equal(await page.getByTestId('status').locator('.pill').textContent(), 'Offline');
  assert.doesNotMatch((await page.locator('main').textContent()) ?? '', /ECONN|EHOST|ENOTFOUND/);
  await shots('dashboard-network-offline');
});

test('Devices: a WebGPU run that cannot start says why once, not twice', { timeout: 60_000 }, async () => {
  // This browser offers no WebGPU adapter (launched without --enable-unsafe-webgpu).
  await go('Devices');
  await heading('Devices');
  await page.getByRole('button', { name: 'Measure with WebGPU' }).click();
  const section = page.locator('section', { has: page.getByRole('button', { name: 'Measure with WebGPU' }) });
  await section.getByText(NO_WEBGPU).first().waitFor({ timeout: 30_000 });
  await page.getByRole('button', { name: 'Measure with WebGPU' }).and(page.locator(':enabled')).waitFor();
  const text = (await section.textContent()) ?? '';
  assert.equal(text.split(NO_WEBGPU).length - 1, 1, text);
  await shots('devices-webgpu-unavailable');
});

test('the page loses the app: two sentences, one space between them, and the badge says "Offline"', { timeout: 60_000 }, async () => {
  await agent.stop();
  const banner = page.getByTestId('connection');
  await banner.getByText('This page cannot reach Synor Contributor').waitFor();
  const text = ((await banner.textContent()) ?? '').replace(/\s+/g, ' ').trim();
  assert.equal(
    text,
    'This page cannot reach Synor Contributor. Trying again… If you closed it, start it again. The figures below are from before the connection was lost.',
  );
  assert.equal(await page.getByTestId('header-status').textContent(), 'Offline');
  await shots('dashboard-app-unreachable');
});
