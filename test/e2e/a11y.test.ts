// axe-core on every screen of the real app: no serious or critical accessibility violations, in light and dark.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from '../helpers/browser.js';
import { tempDir } from '../helpers/fakes.js';
import { startHeadless, type Headless } from '../helpers/headless.js';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const SCREENS = ['Dashboard', 'Devices', 'Wallet', 'Earnings', 'Settings', 'Activity'];

let browser: Browser;
let agent: Headless;

before(async () => {
  [browser, agent] = await Promise.all([launchBrowser(), startHeadless(await tempDir())]);
});
after(async () => {
  await browser?.close();
  await agent?.stop();
});

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** axe needs to inject its script; the app's CSP (rightly) forbids that, so this test context bypasses it. */
async function audit(page: Page): Promise<Violation[]> {
  await page.addScriptTag({ path: AXE });
  const result = await page.evaluate(() =>
    (globalThis as unknown as { axe: { run(o: object): Promise<{ violations: Violation[] }> } }).axe.run({
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    }),
  );
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

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
      for (const v of await audit(page))
        found.push(`${screen}: ${v.id} (${v.impact}) ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    }
    console.log(`# axe ${colorScheme} ${width}×${height}: ${SCREENS.length} screens, ${found.length} serious/critical violations`);
    await context.close();
    assert.deepEqual(found, []);
  });
}
