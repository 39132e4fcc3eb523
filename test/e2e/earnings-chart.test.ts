// The Earnings chart as a user meets it (issue 28 item 2), real page and real agent (built) earning on a devnet of its
// own with the embedded devnet's one-minute epochs (started beside the agent and the browser rather than after them):
// the range is in the address (Back, Forward and a reload keep it), a new user sees more than one bar, the bars drawn
// add up to the totals beside them to the wei (confirmed and pending apart, read from the page), every axis label
// lies inside the chart and apart from the next at 1280×800 and 800×600, an unknown address says "page not found"
// with a way back, and axe finds nothing serious or critical. Screenshots go to test-results/. Sharing starts first,
// at a quarter of the processor: the checks that need no bars run while the clock reaches a second minute of work.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { parseAmount } from '../../main/common/money.js';
import { audit } from '../helpers/axe.js';
import { launchBrowser, screenshot } from '../helpers/browser.js';
import { DEVNET_BUILT, freshAgent, freshDevnet, shareNow, type Devnet, type TestAgent } from '../integration/support/agents.js';

const SIZES = [
  { width: 1280, height: 800 },
  { width: 800, height: 600 },
] as const;
const RANGES = ['Day', 'Week', 'Month', 'All'] as const;

let browser: Browser;
let devnet: Devnet;
let agent: TestAgent;
let page: Page;

before(async () => {
  [browser, devnet, agent] = await Promise.all([
    launchBrowser(),
    freshDevnet(60_000, DEVNET_BUILT),
    freshAgent(['dist/main/headless.js', '--port', '0']),
  ]);
  await agent.ok('walletCreate', { passphrase: 'correct horse battery staple' });
  await agent.ok('updateSettings', { ...shareNow(devnet.url), cpuSharePercent: 25 });
  // axe injects its script: this context lets it past the app's CSP.
  page = await (await browser.newContext({ bypassCSP: true, viewport: SIZES[0] })).newPage();
});
after(async () => {
  await browser?.close();
  await agent?.stop();
  await devnet?.stop();
});

/** The part of the page's DOM read here (the test's types have no DOM library). */
interface PageElement {
  textContent: string | null;
  getAttribute(name: string): string | null;
  getBBox(): { x: number; width: number };
  viewBox: { baseVal: { width: number } };
}
interface PageDocument {
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): ArrayLike<PageElement> & Iterable<PageElement>;
}

interface Shown {
  bars: number;
  barsConfirmed: string;
  barsPending: string;
  confirmed: string;
  pending: string;
  /** Axis labels under the bars, in the chart's own units (its viewBox is 600 wide). */
  labels: { text: string; x: number; width: number }[];
  viewWidth: number;
}

/**
 * What the page shows, read at one moment: the bars' amounts, the exact totals (their hover text) and the labels. No
 * function is declared inside: the test's transpiler would name it with a helper the page does not have.
 */
function shown(): Promise<Shown> {
  return page.evaluate(() => {
    const doc = (globalThis as unknown as { document: PageDocument }).document;
    let barsConfirmed = 0n;
    let barsPending = 0n;
    const groups = doc.querySelectorAll('svg.bars g.bar');
    for (const g of groups) {
      barsConfirmed += BigInt(g.getAttribute('data-confirmed') ?? '0');
      barsPending += BigInt(g.getAttribute('data-pending') ?? '0');
    }
    const labels: Shown['labels'] = [];
    for (const text of doc.querySelectorAll('svg.bars g.bar text')) {
      const box = text.getBBox();
      labels.push({ text: text.textContent ?? '', x: box.x, width: box.width });
    }
    const svg = doc.querySelector('svg.bars');
    return {
      bars: groups.length,
      barsConfirmed: String(barsConfirmed),
      barsPending: String(barsPending),
      confirmed: doc.querySelector('[data-testid="earned-confirmed"]')?.getAttribute('title') ?? '',
      pending: doc.querySelector('[data-testid="earned-pending"]')?.getAttribute('title') ?? '',
      labels,
      viewWidth: svg?.viewBox.baseVal.width ?? 0,
    };
  });
}

const rangeButton = (name: string) => page.getByRole('group', { name: 'Period' }).getByRole('button', { name, exact: true });
const pressed = (name: string) => page.waitForSelector(`[role=group][aria-label="Period"] button[aria-pressed="true"]:text-is("${name}")`);
const hashRange = () => new URL(page.url()).hash;

test('a new user’s Earnings page opens on All', { timeout: 60_000 }, async () => {
  await page.goto(agent.url);
  await page.getByRole('navigation').getByRole('link', { name: 'Earnings' }).click();
  await pressed('All');
});

test('the range is in the address: Back, Forward and a reload keep it', { timeout: 120_000 }, async () => {
  await rangeButton('Week').click();
  await pressed('Week');
  assert.equal(hashRange(), '#/earnings?range=week');
  await rangeButton('Day').click();
  await pressed('Day');
  assert.equal(hashRange(), '#/earnings?range=day');
  await page.goBack();
  await pressed('Week');
  await page.goForward();
  await pressed('Day');
  await page.reload();
  await pressed('Day');
  await page.getByRole('heading', { name: 'Earned in the last 24 hours' }).waitFor();
});

test('an unknown address says so, with a link to the Dashboard', { timeout: 60_000 }, async () => {
  await page.setViewportSize(SIZES[0]);
  await page.goto(`${agent.origin}/#/earnigns`);
  await page.getByRole('heading', { level: 1, name: 'Page not found' }).waitFor();
  assert.equal(await page.getByRole('heading', { level: 1, name: 'Dashboard' }).count(), 0, 'not the Dashboard under the bad address');
  assert.deepEqual(await audit(page), []);
  await screenshot(page, 'page-not-found-1280x800');
  await page.getByRole('link', { name: 'Go to the Dashboard' }).click();
  await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
});

test('a new user earns: more than one bar on All', { timeout: 300_000 }, async () => {
  await page.getByRole('navigation').getByRole('link', { name: 'Earnings' }).click();
  await rangeButton('All').click();
  await pressed('All');
  // Work for over a minute: the first hour is drawn in minutes.
  await page.waitForFunction(
    () => (globalThis as unknown as { document: PageDocument }).document.querySelectorAll('svg.bars g.bar').length > 1,
    null,
    {
      timeout: 240_000,
    },
  );
  await agent.ok('setShare', { on: false });
  const s = await shown();
  assert.ok(s.bars > 1, `${s.bars} bars`);
  await page.getByRole('heading', { name: 'SYNOR per minute' }).waitFor();
});

for (const size of SIZES) {
  test(
    `${size.width}×${size.height}: on every range the bars add up to the totals to the wei, and every label fits`,
    { timeout: 180_000 },
    async () => {
      await page.setViewportSize(size);
      for (const range of RANGES) {
        await rangeButton(range).click();
        await pressed(range);
        await page.locator('svg.bars g.bar').first().waitFor();
        const s = await shown();
        assert.equal(BigInt(s.barsConfirmed), parseAmount(s.confirmed.replace(' SYNOR', '')), `${range}: confirmed`);
        assert.equal(BigInt(s.barsPending), parseAmount(s.pending.replace(' SYNOR', '')), `${range}: pending`);
        assert.ok(s.labels.length > 0, `${range}: labels`);
        const sorted = [...s.labels].sort((a, b) => a.x - b.x);
        for (const [i, l] of sorted.entries()) {
          // The chart thins its labels by an estimate of their width (lib/earnings-bars.ts, unit-tested): never short.
          assert.ok(l.width <= l.text.length * 6.8, `${range}: "${l.text}" is ${l.width} wide, within its estimate`);
          assert.ok(l.x >= 0 && l.x + l.width <= s.viewWidth, `${range}: "${l.text}" inside the chart (${l.x}+${l.width})`);
          const next = sorted[i + 1];
          if (next) assert.ok(l.x + l.width < next.x, `${range}: "${l.text}" apart from "${next.text}"`);
        }
        assert.deepEqual(await audit(page), [], `${range}: axe`);
        await screenshot(page, `earnings-${range.toLowerCase()}-${size.width}x${size.height}`);
      }
    },
  );
}
