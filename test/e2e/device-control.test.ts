// Per-device control and live figures (issue 28, item 6), in the real headless app (built agent, embedded devnet,
// built UI, Chromium): the processor turned off on the Devices page takes no work (the agent's state says it is off,
// and no task stays on it) and works again once turned on; after work ran, its last hour shows points (speed, use,
// temperature, or words where the device does not report one). axe finds nothing serious in the new states.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import type { AgentState } from '../../main/common/state.js';
import { audit } from '../helpers/axe.js';
import { launchBrowser, screenshot } from '../helpers/browser.js';
import { tempDir } from '../helpers/fakes.js';
import { startAgent, type TestAgent } from '../integration/support/agents.js';

let browser: Browser;
let agent: TestAgent;
let context: BrowserContext;
let page: Page;
let card: Locator;

before(async () => {
  [browser, agent] = await Promise.all([
    launchBrowser(),
    tempDir().then((home) => startAgent(home, ['dist/main/headless.js', '--port', '0'])),
  ]);
  // axe injects its script: this context bypasses the app's CSP for it (as test/e2e/a11y.test.ts does).
  context = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 800 } });
  page = await context.newPage();
  await page.goto(agent.url);
  await agent.ok('walletCreate', { passphrase: 'device control passphrase' });
  await agent.ok('updateSettings', { sharing: true });
  await page.getByRole('navigation').getByRole('link', { name: 'Devices' }).click();
  card = page.getByTestId('device-card').filter({ has: page.getByText('Processor', { exact: true }) });
});
after(async () => {
  await browser?.close();
  await agent?.stop();
});

/** Checks axe and writes the screenshot at both sizes the issue names. */
async function record(name: string): Promise<void> {
  for (const [width, height] of [
    [1280, 800],
    [800, 600],
  ] as const) {
    await page.setViewportSize({ width, height });
    assert.deepEqual(await audit(page), [], `${name} at ${width}×${height}`);
    await screenshot(page, `${name}-${width}x${height}`);
  }
  await page.setViewportSize({ width: 1280, height: 800 });
}

const cpuDecision = (state: AgentState) => state.decision?.devices.find((device) => device.deviceId === 'cpu');
const onCpu = (state: AgentState) => state.work.tasks.filter((task) => task.device === 'cpu');
/** What the processor holds: tasks on it, and, on a machine with no GPU to take any, every task in hand. */
const held = (state: AgentState) =>
  state.hardware?.devices.some((device) => device.type.kind !== 'Cpu' && device.unusable.length === 0) ? onCpu(state) : state.work.tasks;

test('after work ran, the processor shows its last hour: speed, use, and temperature or why not', { timeout: 240_000 }, async () => {
  await agent.until((state) => onCpu(state).some((task) => task.state === 'running'), 'a task running on the processor');
  await card.getByRole('switch', { name: /^Use / }).waitFor();
  assert.equal(await card.getByRole('switch', { name: /^Use / }).getAttribute('aria-checked'), 'true');
  // A point every 10 s; the page asks every 5 s.
  await card
    .getByTestId('graph-speed')
    .getByText(/in the last 10 seconds; (1 task|[1-9][\d,.]* tasks) finished in the last hour$/)
    .waitFor({ timeout: 120_000 });
  await card.getByRole('img', { name: /^Speed of .+ over the last hour, up to \d/ }).waitFor();
  await card.getByRole('img', { name: /^Use of .+ over the last hour: Synor's and other programs'$/ }).waitFor();
  const points = (
    await agent.ok<{ devices: { deviceId: string; points: { tempC: number | null; tasks: number }[] }[] }>('getDeviceHistory')
  ).devices.find((device) => device.deviceId === 'cpu')!.points;
  assert.ok(points.length >= 1 && points.reduce((sum, point) => sum + point.tasks, 0) >= 1, JSON.stringify(points));
  const temperature = card.getByTestId('graph-temperature');
  if (points.every((point) => point.tempC === null)) await temperature.getByText('Not reported by this device.').waitFor();
  else await temperature.getByRole('img', { name: /^Temperature of .+ over the last hour, from \d/ }).waitFor();
  await record('devices-live');
});

test('the processor turned off on the page takes no work; turned on again, it works', { timeout: 240_000 }, async () => {
  const clicked = performance.now();
  await card.getByRole('switch', { name: /^Use / }).click();
  const off = await agent.until(
    (state) => cpuDecision(state)?.run === false && held(state).length === 0,
    'the processor off, with no task left on it',
  );
  console.log(`# the processor switched off on the page: no task held ${Math.round(performance.now() - clicked)} ms after the click`);
  await card.getByTestId('device-state').getByText('Off', { exact: true }).waitFor();
  await card.getByTestId('device-state').getByText('You turned sharing off for the processor.').waitFor();
  assert.deepEqual(
    cpuDecision(off)!.reasons.flatMap((reason) => (reason.blocking ? [reason.code] : [])),
    ['DEVICE_DISABLED'],
  );
  assert.equal((await agent.ok<{ cpuEnabled: boolean }>('getSettings')).cpuEnabled, false, 'kept in the settings');
  // Three more decisions (a tick every 2.5 s while sharing): no task is leased for it meanwhile.
  let decisions = 0;
  let at = off.decision!.at;
  const taken = new Set<string>();
  await agent.until((state) => {
    held(state).forEach((task) => taken.add(task.id));
    if (state.decision && state.decision.at !== at) [decisions, at] = [decisions + 1, state.decision.at];
    return decisions >= 3;
  }, 'three decisions with the processor off');
  assert.deepEqual([...taken], [], 'no task taken while the processor is off');
  await record('devices-cpu-off');

  await card.getByRole('switch', { name: /^Use / }).click();
  await agent.until((state) => onCpu(state).some((task) => task.state === 'running'), 'a task running on the processor again');
  await card
    .getByTestId('device-state')
    .getByText(/^(Working|Ready)$/)
    .waitFor();
  assert.equal((await agent.ok<{ cpuEnabled: boolean }>('getSettings')).cpuEnabled, true);
});
