// axe-core on every screen of the real app: no serious or critical accessibility violations, in light and dark.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { audit } from '../helpers/axe.js';
import { launchBrowser } from '../helpers/browser.js';
import { tempDir } from '../helpers/fakes.js';
import { startHeadless, type Headless } from '../helpers/headless.js';

const SCREENS = ['Dashboard', 'Devices', 'Wallet', 'Earnings', 'Fleet', 'Settings', 'Activity'];

let browser: Browser;
let agent: Headless;

before(async () => {
  [browser, agent] = await Promise.all([launchBrowser(), startHeadless(await tempDir())]);
});
after(async () => {
  await browser?.close();
  await agent?.stop();
});

const CASES = [
  { colorScheme: 'light', width: 1280, height: 800 },
  { colorScheme: 'dark', width: 1280, height: 800 },
  // The collapsed layout (sidebar as a top bar) is a different page to a screen reader and to contrast checks.
  { colorScheme: 'light', width: 800, height: 600 },
] as const;

for (const { colorScheme, width, height } of CASES) {
  test(`every screen, ${colorScheme} theme, ${width}×${height}: 0 serious or critical violations`, { timeout: 120_000 }, async () => {
    const context = await browser.newContext({ bypassCSP: true, colorScheme, viewport: { width, height } });
    const page = await context.newPage();
    await page.goto(agent.url);
    const found: string[] = [];
    for (const screen of SCREENS) {
      await page.getByRole('navigation').getByRole('link', { name: screen }).click();
      await page.getByRole('heading', { level: 1, name: screen }).waitFor();
      for (const line of await audit(page)) found.push(`${screen}: ${line}`);
    }
    console.log(`# axe ${colorScheme} ${width}×${height}: ${SCREENS.length} screens, ${found.length} serious/critical violations`);
    await context.close();
    assert.deepEqual(found, []);
  });
}
