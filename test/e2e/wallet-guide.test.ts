// A wallet that guides (issue 28 item 3) and an Activity log that tells its story (item 5), by keyboard where a
// user would type, on the real page and a real headless agent. The OS keychain is made unreachable, so the key goes
// to a passphrase file and every passphrase step (reveal, export, remove, unlock) is the slow, scrypt-guarded one.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { hostname } from 'node:os';
import { after, before, test } from 'node:test';
import type { Browser, Locator, Page } from 'playwright-core';
import { audit } from '../helpers/axe.js';
import { formatAmount } from '../../main/common/money.js';
import { launchBrowser, screenshot, waitForPositive } from '../helpers/browser.js';
import { tempDir } from '../helpers/fakes.js';
import { rpc, startHeadless, type Headless } from '../helpers/headless.js';
import { TEST_PHRASE, TEST_PHRASE_ADDRESS } from '../helpers/wallet.js';

const PASSPHRASE = 'correct horse battery staple';
const noKeychain = { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus' };
let browser: Browser;
let agent: Headless;
let page: Page;
let home: string;
/** axe findings of every new state, checked at the end. */
const axeFound: string[] = [];

before(async () => {
  home = await tempDir();
  // One after the other: a failed start leaves nothing running that `after` does not know of.
  browser = await launchBrowser();
  agent = await startHeadless(home, undefined, noKeychain);
  const context = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 800 }, acceptDownloads: true });
  page = await context.newPage();
  await page.goto(agent.url);
  await page.getByRole('navigation').getByRole('link', { name: 'Wallet' }).click();
});
after(async () => {
  await browser?.close();
  await agent?.stop();
});

const card = (title: string): Locator => page.locator('section.card').filter({ has: page.getByRole('heading', { level: 2, name: title }) });
const focusedId = (): Promise<string> =>
  page.evaluate(() => (globalThis as unknown as { document: { activeElement: { id: string } | null } }).document.activeElement?.id ?? '');

/** The message is beside its control: under it, within a short distance, and in the same card. */
async function assertBeside(message: Locator, control: Locator): Promise<void> {
  const [m, c] = await Promise.all([message.boundingBox(), control.boundingBox()]);
  assert.ok(m && c, 'both are on screen');
  const gap = m.y - (c.y + c.height);
  assert.ok(gap >= 0 && gap < 120, `the message is right under its control (${Math.round(gap)} px below)`);
}

/** axe on the state in both themes, and a screenshot at 1280×800 and at 800×600. */
async function record(name: string): Promise<void> {
  for (const colorScheme of ['dark', 'light'] as const) {
    await page.emulateMedia({ colorScheme });
    for (const line of await audit(page)) axeFound.push(`${name} (${colorScheme}): ${line}`);
  }
  await screenshot(page, `${name}-1280x800`);
  await page.setViewportSize({ width: 800, height: 600 });
  await screenshot(page, `${name}-800x600`);
  await page.setViewportSize({ width: 1280, height: 800 });
}

test(
  'create by keyboard: the passphrase it asks for gets the focus, Enter creates, and "Turn sharing on" is the next step',
  { timeout: 120_000 },
  async () => {
    const create = card('Create a wallet');
    await create.getByRole('button', { name: 'Create wallet' }).click();
    const hint = create.getByRole('status').getByText('choose a passphrase');
    await hint.waitFor();
    assert.equal(await focusedId(), 'wallet-passphrase', 'focus is on the first new field, not the page');
    await assertBeside(hint, create.getByRole('button', { name: 'Create wallet' }));
    await record('wallet-create-passphrase');
    await page.keyboard.type(PASSPHRASE);
    await page.keyboard.press('Tab');
    await page.keyboard.type(PASSPHRASE);
    await page.keyboard.press('Enter');

    const next = card('Next: start earning');
    await next.getByText('Your wallet is ready.').waitFor({ timeout: 60_000 });
    assert.equal(((await rpc(agent, 'getState')) as { value: { sharing: boolean } }).value.sharing, false);
    await record('wallet-next-step');
    await next.getByRole('button', { name: 'Turn sharing on' }).click();
    await next.getByRole('status').getByText('Sharing is on').waitFor();
    assert.equal(((await rpc(agent, 'getState')) as { value: { sharing: boolean } }).value.sharing, true, 'one click turned sharing on');
    assert.equal(await next.getByRole('button', { name: 'Turn sharing on' }).count(), 0);
  },
);

test(
  'the phrase is shown only with the wallet passphrase; a wrong one is said beside its button, and Enter confirms the words',
  { timeout: 120_000 },
  async () => {
    const backup = card('Backup');
    await backup.getByRole('button', { name: 'Show recovery phrase' }).click();
    await page.locator('#reveal-auth').waitFor();
    assert.equal(await focusedId(), 'reveal-auth');
    await page.keyboard.type('not my passphrase');
    await page.keyboard.press('Enter');
    const wrong = backup.getByRole('alert').getByText('That passphrase is not the right one.');
    await wrong.waitFor({ timeout: 60_000 });
    await assertBeside(wrong, backup.getByRole('button', { name: 'Show it now' }));
    assert.equal(await page.getByTestId('phrase').count(), 0, 'no phrase without the passphrase');
    await record('wallet-reveal-wrong-passphrase');

    await page.locator('#reveal-auth').fill(PASSPHRASE);
    await page.keyboard.press('Enter');
    await page.getByTestId('phrase').waitFor({ timeout: 60_000 });
    const words = await page.getByTestId('phrase').locator('li').allTextContents();
    assert.equal(words.length, 12);
    const checks = await page.locator('input[id^="check-"]').all();
    assert.equal(await focusedId(), await checks[0]!.getAttribute('id'), 'focus on the first word to type back');
    for (const input of checks) await input.fill(words[Number((await input.getAttribute('id'))!.slice('check-'.length)) - 1]!);
    await page.keyboard.press('Enter');
    await backup.getByTestId('wallet-done').getByText('your recovery phrase is confirmed').waitFor();
  },
);

test(
  'export: its passphrase is its own, progress shows while scrypt works, and a wrong passphrase is said at once, never beside "Backup saved"',
  { timeout: 180_000 },
  async () => {
    const backup = card('Backup');
    const exportButton = backup.getByRole('button', { name: 'Export encrypted backup' });
    await page.locator('#export-passphrase').fill('backup file passphrase');
    await page.locator('#export-passphrase-confirm').fill('backup file passphrase');
    await page.locator('#export-auth').fill(PASSPHRASE);
    assert.equal(await page.locator('#remove-auth').inputValue(), '', "typing the export's passphrase leaves Remove's empty");

    const [download] = await Promise.all([
      page.waitForEvent('download', { timeout: 60_000 }),
      page.locator('#export-auth').press('Enter'),
      // scrypt runs twice (the passphrase checked, the backup encrypted): its progress is on screen meanwhile.
      backup.getByRole('progressbar').waitFor({ timeout: 30_000 }),
    ]);
    const saved = backup.getByTestId('wallet-done').getByText(`Backup saved by your browser as ${download.suggestedFilename()}`);
    await saved.waitFor();
    await record('wallet-exported');

    await page.locator('#export-auth').fill('not my passphrase');
    const clicked = Date.now();
    await page.locator('#export-auth').press('Enter');
    assert.equal(await saved.count(), 0, 'the last outcome goes as the new attempt starts');
    const wrong = backup.getByRole('alert').getByText('That passphrase is not the right one.');
    await wrong.waitFor({ timeout: 30_000 });
    console.log(`# wrong export passphrase said ${Date.now() - clicked} ms after Enter (one scrypt check)`);
    assert.equal(await backup.getByText('Backup saved').count(), 0, 'never beside "Backup saved"');
    await assertBeside(wrong, exportButton);
    await record('wallet-export-wrong-passphrase');
  },
);

test('a claim names this computer by its name, and the Activity log tells its amount and transaction', { timeout: 240_000 }, async () => {
  const balance = card('Balance');
  await waitForPositive(page, 'claimable', 180_000);
  await balance.getByRole('button', { name: 'Claim to wallet' }).click();
  await balance.getByText('Confirmed', { exact: true }).waitFor({ timeout: 60_000 });
  const receipts = balance.getByRole('list', { name: 'Receipts this claim paid' });
  await receipts.getByText(`of this computer (${hostname()})`).first().waitFor();
  assert.equal(await receipts.getByText('dev-').count(), 0, "not the network's id for it");
  await record('wallet-claimed');

  const view = (await rpc(agent, 'getWallet')) as { value: { claims: { amount: string; txHash: string }[] } };
  const claim = view.value.claims[0]!;
  await page.getByRole('navigation').getByRole('link', { name: 'Activity' }).click();
  await page.locator('#activity-kind').selectOption({ label: 'Wallet and claims' });
  await page
    .locator('ol.activity')
    .getByText(`Claimed ${formatAmount(BigInt(claim.amount))} SYNOR to your wallet. Transaction ${claim.txHash}.`)
    .waitFor({ timeout: 30_000 });
});

test('the network going offline and coming back is in the Activity log, under Network', { timeout: 240_000 }, async () => {
  // The embedded devnet is the agent's child: stopped, its coordinator stops answering; continued, it answers again.
  const children = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(agent.child.pid)], { encoding: 'utf8' });
  const devnet = children
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .find((fields) => fields.some((arg) => /devnet/.test(arg)));
  assert.ok(devnet, `the devnet process among: ${children}`);
  const pid = Number(devnet[0]);
  await page.locator('#activity-kind').selectOption({ label: 'Network' });
  const log = page.locator('ol.activity');
  process.kill(pid, 'SIGSTOP');
  try {
    await log.getByText('The network cannot be reached.').first().waitFor({ timeout: 120_000 });
  } finally {
    process.kill(pid, 'SIGCONT');
  }
  await log.getByText('The network can be reached again: work goes on.').first().waitFor({ timeout: 120_000 });
  await record('activity-network');
  await page.locator('#activity-kind').selectOption({ label: 'Problems' });
  await page
    .getByRole('status')
    .getByText(/ of \d+ events?/)
    .waitFor();
  assert.equal(await log.getByText('The network can be reached again').count(), 0, 'good news is not a problem');
});

test(
  'after a restart the wallet unlocks by Enter with progress, and the Activity log tells every step under its kind',
  { timeout: 180_000 },
  async () => {
    await agent.stop();
    agent = await startHeadless(home, undefined, noKeychain);
    await page.goto(agent.url);
    await page.getByRole('navigation').getByRole('link', { name: 'Wallet' }).click();
    await page.locator('#unlock').fill(PASSPHRASE);
    await Promise.all([page.locator('#unlock').press('Enter'), card('Your address').getByRole('progressbar').waitFor({ timeout: 30_000 })]);
    const unlocked = card('Your address').getByTestId('wallet-done').getByText('Wallet unlocked');
    await unlocked.waitFor({ timeout: 60_000 });

    await page.getByRole('navigation').getByRole('link', { name: 'Activity' }).click();
    await page.locator('#activity-kind').selectOption({ label: 'Wallet and claims' });
    const log = page.locator('ol.activity');
    for (const said of [
      `Wallet created: `,
      'Recovery phrase confirmed as written down.',
      'Wallet backup handed to the browser to save as synor-wallet-',
      'Wallet unlocked.',
    ])
      await log.getByText(said).first().waitFor();
    assert.equal(await log.getByText('Problems').count(), 0, 'no wallet step is filed as a problem');
    await record('activity-wallet');
  },
);

test(
  'import: a word not in the list is named by its place without the phrase said back; the passphrase is asked in the Import card',
  { timeout: 180_000 },
  async () => {
    await page.getByRole('navigation').getByRole('link', { name: 'Wallet' }).click();
    const address = (await page.getByTestId('wallet-address').textContent())!;
    await page.locator('#remove-address').fill(address);
    await page.locator('#remove-auth').fill(PASSPHRASE);
    await page.locator('#remove-auth').press('Enter');
    await page.getByRole('status').getByText('Wallet removed from this computer.').waitFor({ timeout: 60_000 });

    const importCard = card('Import a wallet');
    const words = TEST_PHRASE.split(' ');
    words[4] = 'tset';
    await page.locator('#wallet-secret').fill(words.join(' '));
    await page.locator('#wallet-secret').press('Enter');
    const wrongWord = importCard.getByRole('alert').getByText('Word 5 of the recovery phrase is not a recovery-phrase word');
    await wrongWord.waitFor();
    assert.ok(!(await wrongWord.textContent())!.includes('test'), 'the phrase is not said back');
    await assertBeside(wrongWord, importCard.getByRole('button', { name: 'Import', exact: true }));
    await record('wallet-import-wrong-word');

    await page.locator('#wallet-secret').fill(TEST_PHRASE);
    await page.locator('#wallet-secret').press('Enter');
    await page.locator('#import-passphrase').waitFor();
    assert.equal(await focusedId(), 'import-passphrase');
    assert.equal(await card('Create a wallet').locator('input').count(), 0, 'the Create card reveals nothing');
    await page.keyboard.type(PASSPHRASE);
    await page.keyboard.press('Tab');
    await page.keyboard.type(PASSPHRASE);
    await page.keyboard.press('Enter');
    await card('Next: start earning').getByText('Wallet imported.').waitFor({ timeout: 60_000 });
    assert.equal(await page.getByTestId('wallet-address').textContent(), TEST_PHRASE_ADDRESS);
    await record('wallet-imported');
  },
);

test('every new wallet and activity state: 0 serious or critical axe violations', { timeout: 10_000 }, () => {
  console.log(`# axe on the new wallet states: ${axeFound.length} serious/critical violations`);
  assert.deepEqual(axeFound, []);
});
