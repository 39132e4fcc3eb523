// The user's whole journey on the default setup: create a wallet, share, earn on the embedded devnet (real ONNX
// tasks, signed receipts), claim the voucher on the local chain, and see the balance rise.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, screenshot, waitForPositive } from '../helpers/browser.js';
import { tempDir } from '../helpers/fakes.js';
import { rpc, startHeadless, type Headless } from '../helpers/headless.js';

let browser: Browser;
let agent: Headless;
let page: Page;

before(async () => {
  [browser, agent] = await Promise.all([launchBrowser(), startHeadless(await tempDir())]);
  page = await browser.newPage();
  await page.goto(agent.url);
});
after(async () => {
  await browser?.close();
  await agent?.stop();
});

const nav = (name: string) => page.getByRole('navigation').getByRole('link', { name }).click();

test('first run: the welcome card explains sharing and the devnet, and leads to the wallet', { timeout: 300_000 }, async () => {
  await page.getByTestId('welcome').getByText('local test network').waitFor();
  await page.getByTestId('blocker').getByText('Create or import a wallet').waitFor();
  await screenshot(page, 'first-run');
  await page.getByTestId('welcome').getByRole('link', { name: 'Create or import a wallet' }).click();
});

test('create a wallet (with a passphrase where the OS has no keychain); it registers the device', { timeout: 300_000 }, async () => {
  await page.getByRole('button', { name: 'Create wallet' }).click();
  const passphrase = page.getByLabel('Passphrase for the key file');
  // CI has no secret service: the app asks for a passphrase instead of storing the key in plain text.
  await page.getByTestId('wallet-address').or(passphrase).waitFor();
  if (await passphrase.isVisible()) {
    await passphrase.fill('correct horse battery staple');
    await page.getByLabel('Type it again').fill('correct horse battery staple');
    await page.getByRole('button', { name: 'Create wallet' }).click();
  }
  const address = await page.getByTestId('wallet-address').textContent();
  assert.match(address ?? '', /^0x[0-9a-fA-F]{40}$/);
  // A 42-character address needs a version-3 QR code (29 modules) plus the 2-module border on each side.
  assert.equal(await page.getByRole('img', { name: 'QR code of your address' }).getAttribute('viewBox'), '0 0 33 33');
  // Share now, on this busy test machine, without waiting for idle time.
  await rpc(agent, 'updateSettings', { sharing: true, idleOnly: { enabled: false, minutes: 10 }, pauseWhenUserCpuAbovePercent: null });
  await nav('Dashboard');
  await page.getByTestId('network').getByText('Connected').waitFor({ timeout: 60_000 });
});

test('tasks run and signed receipts come in: earnings grow', { timeout: 300_000 }, async () => {
  await waitForPositive(page, 'earned', 120_000);
  // The rate over the time shared is an exact decimal, never 1e-8 notation.
  await page
    .getByTestId('rate')
    .getByText(/^0\.\d+ SYNOR per hour (since sharing went on|over the last hour)/)
    .waitFor();
  await screenshot(page, 'dashboard-earning');
  await nav('Earnings');
  await page.getByTestId('earned-confirmed').waitFor();
  await page.getByText('Why reality differs').waitFor();
  await page.getByRole('table').getByRole('row').nth(1).waitFor();
  const receipts = (await rpc(agent, 'getReceipts', { limit: 5 })) as { value: { status: string; totalWei: string }[] };
  assert.ok(receipts.value.length > 0 && receipts.value.every((r) => ['verified', 'unverified', 'rejected'].includes(r.status)));
  await screenshot(page, 'earnings');
});

test('claim: the voucher pays out on the local chain and the SYNOR balance rises', { timeout: 300_000 }, async () => {
  await nav('Wallet');
  await waitForPositive(page, 'claimable', 60_000);
  assert.equal(await page.getByTestId('synor-balance').textContent(), '0');
  await page.getByRole('button', { name: 'Claim to wallet' }).click();
  await page.getByText('Confirmed', { exact: true }).waitFor({ timeout: 60_000 });
  await waitForPositive(page, 'synor-balance', 30_000);
  const wallet = (await rpc(agent, 'getWallet')) as {
    value: { balances: { synor: string }; claims: { status: string; txHash: string }[] };
  };
  assert.ok(BigInt(wallet.value.balances.synor) > 0n);
  assert.equal(wallet.value.claims[0]?.status, 'confirmed');
  assert.match(wallet.value.claims[0]?.txHash ?? '', /^0x[0-9a-f]{64}$/);
  await screenshot(page, 'wallet');
});
