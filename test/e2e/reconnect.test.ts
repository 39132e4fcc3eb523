// The open page outlives the agent: stopped and started again on the same data folder, the agent is back on the same
// address with the same token, and the page finds it by itself, without a reload, live again.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { HTTP_TOKEN_ROTATE_PATH } from '../../main/common/local-api.js';
import { launchBrowser, screenshot } from '../helpers/browser.js';
import { tempDir } from '../helpers/fakes.js';
import { rpc, startHeadless, type Headless } from '../helpers/headless.js';

let browser: Browser;
let home: string;
let agent: Headless;
let page: Page;

before(async () => {
  home = await tempDir('synor-reconnect-');
  [browser, agent] = await Promise.all([launchBrowser(), startHeadless(home)]);
  page = await browser.newPage();
});
after(async () => {
  await browser?.close();
  await agent?.stop();
});

const switchIs = (on: boolean) => page.waitForSelector(`[role=switch][aria-checked="${on}"]`);
const lost = () => page.getByText('This page cannot reach Synor Contributor.').first();

test(
  'after the agent restarts on the same folder, the open page reconnects by itself and is live again',
  { timeout: 180_000 },
  async () => {
    await page.goto(agent.url);
    await switchIs(false);
    // A mark on this very document: a reload would wipe it.
    await page.evaluate(() => ((globalThis as unknown as { notReloaded: boolean }).notReloaded = true));
    const { origin } = agent;

    await agent.stop();
    await lost().waitFor();
    await screenshot(page, 'reconnect-lost');

    // The kept port (this run's --port 0 keeps none, so it is given) and the kept token: the link the page holds.
    agent = await startHeadless(home, ['dist/main/headless.js', '--port', new URL(origin).port]);
    assert.equal(agent.origin, origin);
    await lost().waitFor({ state: 'detached', timeout: 60_000 });
    // Live: a change made in the new run reaches the page through its new event stream.
    await rpc(agent, 'setShare', { on: true });
    await switchIs(true);
    assert.equal(
      await page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded),
      true,
      'the page was not reloaded',
    );
    assert.equal(await page.getByText('This link no longer opens the agent').count(), 0, 'the token still opens the agent');
  },
);

test('after a token rotation the open page says in words that its link no longer opens the agent', { timeout: 60_000 }, async () => {
  const rotated = await fetch(`${agent.origin}${HTTP_TOKEN_ROTATE_PATH}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${agent.token}` },
  });
  assert.equal(rotated.status, 200);
  await page.getByText('This link no longer opens the agent').first().waitFor();
  await screenshot(page, 'reconnect-rotated');
});
