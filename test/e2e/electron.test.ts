// The real desktop app through Playwright's Electron driver. It needs the Electron binary and a display;
// where either is missing (as on this project's CI machine) the test is skipped and says why.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { _electron } from 'playwright-core';
import { displayProblem, electronBinary } from '../../scripts/launcher.mjs';
import { screenshot } from '../helpers/browser.js';
import { tempDir } from '../helpers/fakes.js';
import { ROOT } from '../helpers/headless.js';

const binary = electronBinary(fileURLToPath(new URL('../../node_modules/electron', import.meta.url)), process.env);
const skip =
  binary && existsSync(binary)
    ? displayProblem(process.platform, process.env)
    : 'the Electron binary is not installed (npm does not ship it and it cannot be downloaded here)';
if (skip) console.log(`# Electron e2e skipped: ${skip}`);

test('the desktop window shows the dashboard through the preload bridge, sandboxed', { skip: skip ?? false }, async () => {
  const app = await _electron.launch({
    executablePath: binary!,
    args: [ROOT],
    env: { ...process.env, SYNOR_HOME: await tempDir() },
  });
  try {
    const page = await app.firstWindow();
    await page.getByRole('switch', { name: 'Share resources' }).click();
    await page.waitForSelector('[role=switch][aria-checked="true"]');
    await page.getByText('Desktop app').waitFor();
    assert.equal(await page.evaluate(() => typeof (globalThis as { require?: unknown }).require), 'undefined');
    assert.equal(await page.evaluate(() => typeof (globalThis as { process?: unknown }).process), 'undefined');
    assert.deepEqual(await page.evaluate(() => Object.keys((globalThis as { agent?: object }).agent ?? {}).sort()), ['call', 'onEvent']);
    await screenshot(page, 'electron-dashboard');
  } finally {
    await app.close();
  }
});
