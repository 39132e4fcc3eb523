// The Wallet screen with a key kept in a passphrase-encrypted file: removing it needs the wallet passphrase, not just
// the page's token (issue 17). The OS keychain is made unreachable so the key goes to the file on any machine.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, screenshot } from '../helpers/browser.js';
import { tempDir } from '../helpers/fakes.js';
import { rpc, startHeadless, type Headless } from '../helpers/headless.js';
import { TEST_PHRASE, TEST_PHRASE_ADDRESS } from '../helpers/wallet.js';

const PASSPHRASE = 'correct horse battery staple';
let browser: Browser;
let agent: Headless;
let page: Page;

before(async () => {
  const noKeychain = { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus' };
  [browser, agent] = await Promise.all([launchBrowser(), startHeadless(await tempDir(), undefined, noKeychain)]);
  const imported = (await rpc(agent, 'walletImport', { secret: { kind: 'phrase', phrase: TEST_PHRASE }, passphrase: PASSPHRASE })) as {
    value: { wallet: { storage: string } };
  };
  assert.equal(imported.value.wallet.storage, 'keystore-file');
  page = await browser.newPage();
  await page.goto(agent.url);
  // By its text: the menu entries are buttons or links depending on the build.
  await page.getByRole('navigation').getByText('Wallet', { exact: true }).click();
});
after(async () => {
  await browser?.close();
  await agent?.stop();
});

test('remove asks for the wallet passphrase, refuses a wrong one, and removes with the right one', { timeout: 120_000 }, async () => {
  await page.getByTestId('wallet-address').getByText(TEST_PHRASE_ADDRESS).waitFor();
  await page.locator('#remove-address').fill(TEST_PHRASE_ADDRESS);
  const remove = page.getByRole('button', { name: 'Remove', exact: true });
  await remove.click();
  await page.getByRole('alert').getByText('Enter your wallet passphrase first').first().waitFor();
  await page.locator('#remove-auth').fill('not my passphrase');
  await remove.click();
  await page.getByRole('alert').getByText('That passphrase is not the right one. Try again.').first().waitFor();
  await page.getByTestId('wallet-address').waitFor(); // still there
  await screenshot(page, 'wallet-remove-needs-passphrase');
  await page.locator('#remove-auth').fill(PASSPHRASE);
  await remove.click();
  await page.getByRole('button', { name: 'Create wallet' }).waitFor();
  const view = (await rpc(agent, 'getWallet')) as { value: { wallet: { state: string } } };
  assert.equal(view.value.wallet.state, 'none');
});
