// Every backup restores (issue 26): import takes this app's encrypted export and other tools' V3 keystores, and a
// wallet whose key file is missing or damaged falls back to "no wallet" at once, so its backup can be imported.
import assert from 'node:assert/strict';
import { readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { encryptKeystoreJson, Wallet } from 'ethers';
import type { KeyWorkProgress } from '../../main/common/wallet.js';
import { fails, testWallet, TEST_PHRASE, TEST_PHRASE_ADDRESS } from '../helpers/wallet.js';

/**
 * The scrypt test vector of the Web3 Secret Storage Definition (ethereum.org, "Web3 secret storage definition",
 * Test vectors → Scrypt; the same JSON is in geth's and other tools' tests): password "testpassword", private key
 * 7a28b5ba…14fe9d, address 0x008aeeda4d805471df9b2a5b0f38a0c3bcba786b. Made by another tool than ethers, and with
 * r 1, p 8 where ethers writes r 8, p 1.
 */
const SPEC_VECTOR = {
  crypto: {
    cipher: 'aes-128-ctr',
    cipherparams: { iv: '83dbcc02d8ccb40e466191a123791e0e' },
    ciphertext: 'd172bf743a674da9cdad04534d56926ef8358534d458fffccd4e6ad2fbde479c',
    kdf: 'scrypt',
    kdfparams: { dklen: 32, n: 262144, p: 8, r: 1, salt: 'ab0c7876052600dd703518d6fc3fe8984592145b591fc8fb5c6d43190334ba19' },
    mac: '2103ac29920d71da29f15d75b4a16dbe95cfd7ff8faea1056c33131d846e3097',
  },
  id: '3198bc9c-6672-5ab3-d995-4942343ae5b6',
  version: 3,
};
const SPEC_ADDRESS = '0x008AeEda4D805471dF9b2A5B0f38A0C3bCBA786b';

const PASS = 'correct horse battery';
const keystore = (json: string, passphrase: string) => ({ secret: { kind: 'keystore' as const, json, passphrase } });

/**
 * Runs `work` beside a chain of macrotasks and says whether one ran between the first progress report of a
 * decryption and its last. ethers' scrypt yields only to microtasks, so on the event loop none could.
 */
async function loopTurnsDuringDecrypt(work: (onProgress: (p: KeyWorkProgress) => void) => Promise<unknown>): Promise<boolean> {
  const seen: string[] = [];
  let ticking = true;
  const tick = (): void => {
    if (seen.at(-1) !== 'tick') seen.push('tick');
    if (ticking) setImmediate(tick);
  };
  setImmediate(tick);
  await work((p) => p.op === 'decrypt' && seen.push(p.fraction === 1 ? 'done' : 'progress')).finally(() => (ticking = false));
  return seen.slice(seen.indexOf('progress'), seen.indexOf('done')).includes('tick');
}

test(
  'a V3 keystore made by ethers imports with its passphrase, not with another; scrypt runs off the event loop',
  {
    timeout: 60_000,
  },
  async () => {
    const made = Wallet.createRandom();
    const json = await encryptKeystoreJson({ address: made.address, privateKey: made.privateKey }, 'ethers passphrase', {
      scrypt: { N: 2 ** 14 },
    });
    let onProgress: (p: KeyWorkProgress) => void = () => undefined;
    const { wallet } = await testWallet({ onProgress: (p) => onProgress(p) });
    await fails(wallet.import(keystore(json, 'not the passphrase')), 'WRONG_PASSPHRASE', /does not open this backup file/);
    assert.deepEqual(wallet.info(), { state: 'none' });
    const turned = await loopTurnsDuringDecrypt(async (report) => {
      onProgress = report;
      const info = await wallet.import(keystore(json, 'ethers passphrase'));
      assert.deepEqual(info, { state: 'ready', address: made.address, storage: 'keychain', backup: 'imported' });
    });
    assert.ok(turned, 'the event loop turned while scrypt ran');
  },
);

test("another tool's keystore (the Web3 Secret Storage scrypt vector, r 1 and p 8) imports", { timeout: 120_000 }, async () => {
  const { wallet, reopen } = await testWallet({ secrets: null });
  // No OS keychain and no passphrase chosen: the backup's own passphrase protects the key file.
  const info = await wallet.import(keystore(JSON.stringify(SPEC_VECTOR), 'testpassword'));
  assert.deepEqual(info, { state: 'ready', address: SPEC_ADDRESS, storage: 'keystore-file', backup: 'imported' });
  const again = await reopen();
  assert.equal((await again.unlock({ passphrase: 'testpassword' })).state, 'ready');
  assert.equal(again.signer().address, SPEC_ADDRESS);
});

test("this app's own export imports: create → export → remove → import gives the same address", { timeout: 60_000 }, async () => {
  const { wallet, confirmed } = await testWallet();
  const created = await wallet.create({});
  assert.ok(created.state === 'ready');
  const exported = await wallet.exportKeystore({ passphrase: 'backup passphrase', auth: confirmed(wallet, 'export') });
  assert.ok(exported.to === 'download');
  await wallet.remove({ address: created.address, auth: confirmed(wallet, 'remove') });
  assert.deepEqual(wallet.info(), { state: 'none' });
  assert.equal((await wallet.import(keystore(exported.json, 'backup passphrase'))).state, 'ready');
  assert.equal(wallet.signer().address, created.address);
});

test('what is not a backup, or would cost too much to open, is refused before any scrypt', { timeout: 60_000 }, async () => {
  const progress: KeyWorkProgress[] = [];
  const { wallet } = await testWallet({ onProgress: (p) => progress.push(p) });
  await fails(wallet.import(keystore('{"version": 3, "cryp', PASS)), 'BAD_BACKUP', /not a wallet backup this app can open: .*not JSON/);
  await fails(wallet.import(keystore('{"hello": "world"}', PASS)), 'BAD_BACKUP', /not a complete V3 keystore/);
  const greedy = structuredClone(SPEC_VECTOR);
  greedy.crypto.kdfparams.n = 2 ** 24;
  await fails(wallet.import(keystore(JSON.stringify(greedy), PASS)), 'BAD_BACKUP', /more memory than this app allows/);
  greedy.crypto.kdfparams.n = 2 ** 20;
  greedy.crypto.kdfparams.p = 64;
  await fails(wallet.import(keystore(JSON.stringify(greedy), PASS)), 'BAD_BACKUP', /take longer than this app allows/);
  const cut = structuredClone(SPEC_VECTOR);
  cut.crypto.ciphertext = cut.crypto.ciphertext.slice(0, 40);
  await fails(wallet.import(keystore(JSON.stringify(cut), PASS)), 'BAD_BACKUP', /not a complete V3 keystore/);
  assert.deepEqual(progress, [], 'no scrypt ran');
  assert.deepEqual(wallet.info(), { state: 'none' });
});

/** A keystore-file wallet with its backup exported, as a user who followed the advice has. */
async function fileWalletWithBackup() {
  const setup = await testWallet({ secrets: null });
  await setup.wallet.import({ secret: { kind: 'phrase', phrase: TEST_PHRASE }, passphrase: PASS });
  const exported = await setup.wallet.exportKeystore({ passphrase: 'backup passphrase', auth: { passphrase: PASS } });
  assert.ok(exported.to === 'download');
  return { ...setup, backup: exported.json, keyFile: join(setup.options.dir, 'keystore.json') };
}

const LOST = /^Your wallet 0xf39F…2266 needs its recovery phrase or backup file: import it to go on\. The file holding its key is missing/;

test(
  'a missing key file at start: no wallet (not "locked"), the address said, the backup imports at once',
  { timeout: 60_000 },
  async () => {
    const { keyFile, reopen, backup, options } = await fileWalletWithBackup();
    await rm(keyFile);
    const again = await reopen();
    assert.deepEqual(again.info(), { state: 'none', lost: { address: TEST_PHRASE_ADDRESS } });
    assert.match(again.notice ?? '', LOST);
    assert.ok(
      (await readdir(options.dir)).some((name) => name.startsWith('wallet.json.old-')),
      'the wallet record was kept',
    );
    assert.equal((await again.import(keystore(backup, 'backup passphrase'))).state, 'ready');
    assert.deepEqual(again.info(), { state: 'ready', address: TEST_PHRASE_ADDRESS, storage: 'keystore-file', backup: 'imported' });
    // The new key file opens after a restart, with the backup's passphrase (no other was chosen).
    assert.equal((await (await reopen()).unlock({ passphrase: 'backup passphrase' })).state, 'ready');
  },
);

test(
  'a key file lost while the app runs: unlock says so and sets the wallet aside; import and create work without a restart',
  {
    timeout: 60_000,
  },
  async () => {
    const { keyFile, reopen } = await fileWalletWithBackup();
    const notices: string[] = [];
    const locked = await reopen({ onNotice: (message) => notices.push(message) });
    assert.equal(locked.info().state, 'locked');
    await rm(keyFile);
    await fails(locked.unlock({ passphrase: PASS }), 'KEYSTORE_DAMAGED', LOST);
    assert.deepEqual(locked.info(), { state: 'none', lost: { address: TEST_PHRASE_ADDRESS } });
    assert.equal(notices.length, 1, 'the activity log hears of it once');
    assert.match(notices[0]!, LOST);
    await fails(locked.remove({ address: TEST_PHRASE_ADDRESS, auth: { passphrase: PASS } }), 'NO_WALLET');
    assert.equal((await locked.create({ passphrase: 'a new passphrase' })).state, 'ready', 'create is not refused either');

    // Damaged the same way: remove on a garbled file sets it aside too, and the phrase imports.
    const damaged = await reopen();
    await writeFile(keyFile, '{"garbage');
    await fails(damaged.remove({ address: locked.signer().address, auth: { passphrase: 'a new passphrase' } }), 'KEYSTORE_DAMAGED');
    assert.equal(damaged.info().state, 'none');
    assert.equal((await damaged.import({ secret: { kind: 'phrase', phrase: TEST_PHRASE }, passphrase: PASS })).state, 'ready');
  },
);

test(
  'a key the OS keychain no longer holds: the record goes aside with the address said, and the phrase imports at once',
  { timeout: 60_000 },
  async () => {
    const { wallet, secrets, reopen, options } = await testWallet();
    await wallet.import({ secret: { kind: 'phrase', phrase: TEST_PHRASE } });
    assert.equal(wallet.info().state, 'ready');
    secrets.secrets.clear(); // the keychain was reset, or this is another user profile's
    // A keyring that cannot be used right now (locked at login) may answer "nothing" too: that is no lost key.
    secrets.unavailable = 'the OS keychain cannot be used (locked)';
    assert.equal((await reopen()).info().state, 'locked');
    assert.ok((await readdir(options.dir)).includes('wallet.json'), 'nothing set aside while the keychain cannot be asked');
    secrets.unavailable = null;
    const again = await reopen();
    assert.deepEqual(again.info(), { state: 'none', lost: { address: TEST_PHRASE_ADDRESS } });
    assert.match(
      again.notice ?? '',
      /needs its recovery phrase or backup file: import it to go on\. Its key is no longer kept by your system's keychain/,
    );
    assert.ok(
      (await readdir(options.dir)).some((name) => name.startsWith('wallet.json.old-')),
      'the wallet record was kept',
    );
    assert.equal((await again.import({ secret: { kind: 'phrase', phrase: TEST_PHRASE } })).state, 'ready', 'not WALLET_EXISTS');
  },
);
