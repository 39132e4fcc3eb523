// The Wallet screen with a key kept in a passphrase-encrypted file: removing it needs the wallet passphrase, not just
// the page's token (issue 17). The OS keychain is made unreachable so the key goes to the file on any machine.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, screenshot } from '../helpers/browser.js';
import { tempDir } from '../helpers/fakes.js';
import { rpc, startHeadless, type Headless } from '../helpers/headless.js';
import { TEST_PHRASE, TEST_PHRASE_ADDRESS } from '../helpers/wallet.js';

const PASSPHRASE = 'correct horse battery staple';
const noKeychain = { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus' };
let browser: Browser;
let agent: Headless;
let page: Page;
let home: string;
/** Where the user kept the backup the browser downloaded (the next test imports it). */
let backupFile = '';

before(async () => {
  home = await tempDir();
  [browser, agent] = await Promise.all([launchBrowser(), startHeadless(home, undefined, noKeychain)]);
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

test(
  'a new wallet: its phrase is confirmed by typing words back, the backup export says where it went, and after a restart the locked wallet is said the same way everywhere and unlocks',
  { timeout: 180_000 },
  async () => {
    await page.getByRole('button', { name: 'Create wallet' }).click();
    await page.getByLabel('Passphrase for the key file').fill(PASSPHRASE);
    await page.locator('input[autocomplete="new-password"]').nth(1).fill(PASSPHRASE);
    await page.getByRole('button', { name: 'Create wallet' }).click();
    await page.getByTestId('wallet-done').getByText('Your wallet is ready').waitFor();

    // "I wrote it down": three words typed back from the phrase, then the phrase leaves the page for good.
    await page.getByRole('button', { name: 'Show recovery phrase' }).click();
    await page.locator('#reveal-auth').fill(PASSPHRASE); // the phrase of a key in a passphrase file needs that passphrase
    await page.getByRole('button', { name: 'Show it now' }).click();
    await page.getByTestId('phrase').waitFor({ timeout: 60_000 }); // after the passphrase's scrypt check
    const words = await page.getByTestId('phrase').locator('li').allTextContents();
    assert.equal(words.length, 12);
    const checks = await page.locator('input[id^="check-"]').all();
    assert.equal(checks.length, 3);
    await checks[0]!.fill('wrong');
    await page.getByRole('button', { name: 'I wrote it down' }).click();
    await page.getByRole('alert').first().waitFor();
    assert.equal(await page.getByTestId('phrase').count(), 1, 'a wrong word keeps the phrase on screen');
    for (const input of checks) await input.fill(words[Number((await input.getAttribute('id'))!.slice('check-'.length)) - 1]!);
    await page.getByRole('button', { name: 'I wrote it down' }).click();
    await page.getByTestId('wallet-done').getByText('Thank you: your recovery phrase is confirmed. It will not be shown again.').waitFor();
    assert.equal(await page.getByTestId('phrase').count(), 0);
    assert.equal(await page.getByRole('button', { name: 'Show recovery phrase' }).count(), 0);

    // Export: the file's own passphrase typed twice and the wallet passphrase; the page says what was saved.
    await page.locator('#export-passphrase').fill('backup file passphrase');
    await page.locator('#export-passphrase-confirm').fill('backup file passphrase');
    await page.locator('#export-auth').fill(PASSPHRASE);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export encrypted backup' }).click(),
    ]);
    await page
      .getByTestId('wallet-done')
      .getByText(`Backup saved by your browser as ${download.suggestedFilename()} (usually your Downloads folder).`)
      .waitFor();
    backupFile = join(home, 'kept elsewhere', download.suggestedFilename());
    await download.saveAs(backupFile);
    await screenshot(page, 'wallet-backed-up');

    // Sharing on, then a restart: the key file is locked, and the header, the dashboard's status and its fix all say so.
    await rpc(agent, 'updateSettings', { sharing: true, idleOnly: { enabled: false, minutes: 10 }, pauseWhenUserCpuAbovePercent: null });
    await agent.stop();
    agent = await startHeadless(home, undefined, noKeychain);
    await page.goto(agent.url);
    await page
      .getByTestId('status')
      .getByText(/unlock/i)
      .waitFor({ timeout: 60_000 });
    assert.equal(await page.getByTestId('header-status').textContent(), await page.getByTestId('status').locator('.pill').textContent());
    await page.getByTestId('fix').getByRole('link', { name: 'Unlock your wallet' }).click();
    await page.locator('#unlock').fill(PASSPHRASE);
    await page.getByRole('button', { name: 'Unlock', exact: true }).click();
    await page.getByTestId('wallet-done').getByText('Wallet unlocked: earnings can be paid to it again.').waitFor();
    await screenshot(page, 'wallet-unlocked');
  },
);

test(
  'the downloaded backup, picked as a file with its passphrase, brings the same wallet back after a remove',
  { timeout: 180_000 },
  async () => {
    assert.ok(backupFile, 'the export test saved the download');
    const address = (await page.getByTestId('wallet-address').textContent())!;
    await page.locator('#remove-address').fill(address);
    await page.locator('#remove-auth').fill(PASSPHRASE);
    await page.getByRole('button', { name: 'Remove', exact: true }).click();
    await page.getByRole('button', { name: 'Create wallet' }).waitFor();

    await page.locator('#wallet-backup-file').setInputFiles(backupFile);
    await page.locator('#wallet-backup-passphrase').fill('not the backup passphrase');
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.getByRole('alert').getByText('That passphrase is not the right one. Try again.').first().waitFor();
    await screenshot(page, 'wallet-import-backup');
    await page.locator('#wallet-backup-passphrase').fill('backup file passphrase');
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.getByTestId('wallet-done').getByText('Wallet imported.').waitFor({ timeout: 60_000 });
    assert.equal(await page.getByTestId('wallet-address').textContent(), address);
    await screenshot(page, 'wallet-backup-imported');
  },
);
