// The Devices screen against the real headless agent (real hardware probe) in Chromium with WebGPU on SwiftShader.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, screenshot } from '../helpers/browser.js';
import { tempDir } from '../helpers/fakes.js';
import { rpc, startHeadless, type Headless } from '../helpers/headless.js';

let browser: Browser;
let agent: Headless;
let page: Page;

before(async () => {
  [browser, agent] = await Promise.all([launchBrowser({ webgpu: true }), startHeadless(await tempDir())]);
  page = await browser.newPage();
  await page.goto(agent.url);
  await page.getByRole('navigation').getByRole('link', { name: 'Devices' }).click();
});
after(async () => {
  await browser?.close();
  await agent?.stop();
});

test('the processor is listed with its profile, and the probe says which provider answered', { timeout: 300_000 }, async () => {
  await page.getByTestId('device-card').filter({ hasText: 'Processor' }).waitFor();
  const provider = (await page.getByTestId('provider').textContent()) ?? '';
  assert.match(provider, /^Found (by reading your drivers directly|with your drivers' own tools)/);
  assert.doesNotMatch(provider, /addon|synor_hardware|native\/build|probe/, 'no file or internal name on the page');
  const state = (await rpc(agent, 'getHardware')) as { value: { devices: { type: { kind: string } }[] } };
  assert.ok(state.value.devices.some((d) => d.type.kind === 'Cpu'));
  await page.getByText('Not found on this computer').waitFor();
  await page.getByText('NVIDIA driver library not found').waitFor();
});

test('the WebGPU benchmark runs in the page, names the adapter, and the agent says what it did with it', { timeout: 300_000 }, async () => {
  await page.getByRole('button', { name: 'Measure with WebGPU' }).click();
  const adapter = page.getByTestId('webgpu-adapter');
  await adapter.waitFor({ timeout: 120_000 });
  assert.match((await adapter.textContent()) ?? '', /swiftshader.*software/i);
  // SwiftShader runs on the CPU: the agent must not take its figures for a GPU's.
  assert.match((await page.getByTestId('webgpu-note').textContent()) ?? '', /software/i);
  await screenshot(page, 'devices');
});
