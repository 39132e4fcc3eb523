// Earnings with a locked wallet (issue 28 item 4, issue 27 item 6), real page against a real headless agent: a user
// earns on the embedded devnet, the app restarts with the wallet locked, and the Earnings page still shows what was
// earned and what is left to claim, with an Unlock button where claiming (signing) needs the key, which leads to the
// wallet's passphrase field; the Wallet page's claim part shows the same figure and the same button.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, screenshot, waitForPositive } from '../helpers/browser.js';
import { tempDir } from '../helpers/fakes.js';
import { rpc, startHeadless, type Headless } from '../helpers/headless.js';

const PASSPHRASE = 'correct horse battery staple';
/** No OS keychain: the key goes into a passphrase file, so the wallet is locked after a restart. */
const noKeychain = { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus' };
let browser: Browser;
let agent: Headless;
let page: Page;
let home: string;

before(async () => {
  home = await tempDir();
  [browser, agent] = await Promise.all([launchBrowser(), startHeadless(home, undefined, noKeychain)]);
  page = await browser.newPage();
  await page.goto(agent.url);
});
after(async () => {
  await browser?.close();
  await agent?.stop();
});

const nav = (name: string) => page.getByRole('navigation').getByRole('link', { name }).click();

test('a wallet kept in a key file earns on the devnet', { timeout: 240_000 }, async () => {
  const created = (await rpc(agent, 'walletCreate', { passphrase: PASSPHRASE })) as {
    ok: boolean;
    value?: { wallet: { storage: string } };
  };
  assert.equal(created.value?.wallet.storage, 'keystore-file', 'without a keychain the key is in a passphrase file');
  await rpc(agent, 'updateSettings', { sharing: true, idleOnly: { enabled: false, minutes: 10 }, pauseWhenUserCpuAbovePercent: null });
  await nav('Earnings');
  await waitForPositive(page, 'earned-confirmed', 180_000);
  await waitForPositive(page, 'unclaimed', 60_000);
  await rpc(agent, 'setShare', { on: false });
});

test(
  'after a restart the wallet is locked, and the Earnings page shows the earnings and an Unlock button at the claim',
  { timeout: 240_000 },
  async () => {
    await agent.stop();
    agent = await startHeadless(home, undefined, noKeychain);
    await page.goto(agent.url);
    await page.getByTestId('blocker').getByText('Unlock your wallet').waitFor({ timeout: 60_000 });
    await nav('Earnings');
    await waitForPositive(page, 'earned-confirmed', 60_000);
    await waitForPositive(page, 'unclaimed', 60_000);
    const unlock = page.getByTestId('unlock-to-claim');
    await unlock.waitFor();
    assert.equal(await page.getByText('Unlock your wallet to start earning').count(), 0, 'no blank page with the blocker instead');
    await screenshot(page, 'earnings-locked');
    await unlock.click();
    await page.waitForURL(/#\/wallet\/unlock$/);
    await page.waitForFunction(
      () => (globalThis as unknown as { document: { activeElement: { id: string } | null } }).document.activeElement?.id === 'unlock',
    );
    await waitForPositive(page, 'claimable', 30_000);
    await page.getByTestId('unlock-to-claim').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Claim to wallet' }).count(), 0, 'no Claim button while locked');
    await screenshot(page, 'wallet-locked-claim');
    await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
    await page.getByRole('button', { name: 'Unlock', exact: true }).click();
    await page.getByTestId('wallet-done').or(page.getByTestId('wallet-error')).waitFor({ timeout: 60_000 });
    assert.match((await page.getByTestId('wallet-done').or(page.getByTestId('wallet-error')).textContent()) ?? '', /Wallet unlocked/);
    await page.getByRole('button', { name: 'Claim to wallet' }).waitFor({ timeout: 60_000 });
  },
);
