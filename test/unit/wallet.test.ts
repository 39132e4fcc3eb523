import assert from 'node:assert/strict';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { Wallet, isKeystoreJson, verifyTypedData } from 'ethers';
import type { KeyWorkProgress } from '../../main/common/wallet.js';
import { WalletError, walletResult } from '../../main/core/wallet/errors.js';
import { MemoryLogger } from '../helpers/fakes.js';
import { fails, keyOfPhrase, testWallet, TEST_PHRASE, TEST_PHRASE_ADDRESS } from '../helpers/wallet.js';

const REVEAL = { confirm: 'show-recovery-phrase' } as const;
const REGISTRATION = {
  domain: { name: 'Synor', version: '1', chainId: 31337 },
  types: {
    Device: [
      { name: 'deviceId', type: 'string' },
      { name: 'owner', type: 'address' },
    ],
  },
};

test(
  'create: the key goes to the OS store, the phrase is shown once and forgotten after the backup is confirmed',
  { timeout: 120_000 },
  async () => {
    const { wallet, secrets, reopen, confirmed } = await testWallet();
    assert.deepEqual(wallet.info(), { state: 'none' });
    const info = await wallet.create({});
    assert.ok(info.state === 'ready');
    assert.equal(info.storage, 'keychain');
    assert.equal(info.backup, 'phrase-pending');
    const { words } = await wallet.revealRecoveryPhrase(REVEAL);
    assert.equal(words.length, 12);
    const key = keyOfPhrase(words);
    assert.equal(new Wallet(key).address, info.address, 'the phrase restores this very wallet');
    assert.deepEqual([...secrets.secrets], [[`wallet-${info.address.toLowerCase()}`, key]]);

    await fails(
      wallet.confirmBackup({ words: [1, 5, 12].map((p) => ({ position: p, word: p === 5 ? 'wrong' : words[p - 1]! })) }),
      'BACKUP_MISMATCH',
      /Word 5/,
    );
    const pending = wallet.info();
    assert.ok(pending.state === 'ready' && pending.backup === 'phrase-pending', 'still pending after a mismatch');
    await fails(wallet.revealRecoveryPhrase(REVEAL), 'CONFIRMATION_REQUIRED', /show your recovery phrase again/);
    assert.deepEqual((await wallet.revealRecoveryPhrase({ ...REVEAL, auth: confirmed(wallet, 'reveal') })).words, words);
    const backedUp = await wallet.confirmBackup({
      words: [2, 7, 11].map((p) => ({ position: p, word: ` ${words[p - 1]!.toUpperCase()} ` })),
    });
    assert.ok(backedUp.state === 'ready' && backedUp.backup === 'confirmed');
    await fails(wallet.revealRecoveryPhrase(REVEAL), 'NO_PENDING_PHRASE', /only once/);
    // @ts-expect-error: the confirmation is not optional
    await fails(wallet.revealRecoveryPhrase({}), 'NO_PENDING_PHRASE');

    const again = await reopen();
    assert.deepEqual(again.info(), backedUp);
    assert.equal(again.signer().address, info.address);
    await fails(wallet.create({}), 'WALLET_EXISTS');
  },
);

test(
  'a restart before the backup was confirmed drops the phrase and asks for an encrypted export instead',
  { timeout: 120_000 },
  async () => {
    const { wallet, reopen, confirmed } = await testWallet();
    await wallet.create({});
    const again = await reopen();
    const info = again.info();
    assert.ok(info.state === 'ready' && info.backup === 'export-recommended');
    await fails(again.revealRecoveryPhrase(REVEAL), 'NO_PENDING_PHRASE');
    await again.exportKeystore({ passphrase: 'backup passphrase', auth: confirmed(again, 'export') });
    const after = (await reopen()).info();
    assert.ok(after.state === 'ready' && after.backup === 'confirmed', 'the export counts as the backup, also after a restart');
  },
);

for (const [what, secrets] of [
  ['the OS store is unavailable', 'unavailable'],
  ['this mode has no OS store', null],
] as const) {
  test(
    `when ${what}: a passphrase is required, the key goes to an encrypted keystore file, locked after restart`,
    { timeout: 120_000 },
    async () => {
      const progress: KeyWorkProgress[] = [];
      const onProgress = (p: KeyWorkProgress) => progress.push(p);
      const setup = await testWallet(secrets === null ? { secrets: null, onProgress } : { onProgress });
      const { wallet: again, options, reopen, logger } = setup;
      setup.secrets.unavailable = 'the OS keychain cannot be used (no D-Bus)';

      await fails(
        again.create({}),
        'PASSPHRASE_REQUIRED',
        secrets ? /no D-Bus\). Choose a passphrase/ : /no OS secret store\. Choose a passphrase/,
      );
      assert.deepEqual(await readdir(options.dir).catch(() => []), [], 'nothing written without a passphrase');
      const info = await again.create({ passphrase: 'correct horse battery' });
      assert.ok(info.state === 'ready' && info.storage === 'keystore-file');
      assert.ok(logger.lines.some((l) => /warn wallet: .*passphrase-encrypted keystore file/.test(l)));
      assert.equal(progress.at(-1)?.op, 'encrypt');
      assert.equal(progress.at(-1)?.fraction, 1);
      // The phrase of a key in a passphrase file is shown only with that passphrase, the first time too.
      await fails(again.revealRecoveryPhrase(REVEAL), 'CONFIRMATION_REQUIRED', /Enter your wallet passphrase to show your recovery phrase/);
      await fails(again.revealRecoveryPhrase({ ...REVEAL, auth: { passphrase: 'wrong horse' } }), 'WRONG_PASSPHRASE');
      const key = keyOfPhrase((await again.revealRecoveryPhrase({ ...REVEAL, auth: { passphrase: 'correct horse battery' } })).words);
      const file = await readFile(join(options.dir, 'keystore.json'), 'utf8');
      assert.ok(isKeystoreJson(file));
      assert.ok(!file.toLowerCase().includes(key.slice(2).toLowerCase()), 'never the key in plain text');

      const later = await reopen();
      assert.equal(later.info().state, 'locked');
      await fails(async () => later.signer(), 'LOCKED', /enter your passphrase/);
      await fails(later.unlock({ passphrase: 'wrong horse' }), 'WRONG_PASSPHRASE');
      progress.length = 0;
      assert.equal((await later.unlock({ passphrase: 'correct horse battery' })).state, 'ready');
      assert.equal(later.signer().address, info.address);
      assert.ok(progress.length > 2 && progress.every((p, i) => p.op === 'decrypt' && p.fraction >= (progress[i - 1]?.fraction ?? 0)));
      assert.equal(progress.at(-1)?.fraction, 1);
    },
  );
}

test('import a phrase or a private key (with or without 0x); bad input is refused without being echoed', { timeout: 120_000 }, async () => {
  const phrase = await testWallet();
  const imported = await phrase.wallet.import({
    secret: { kind: 'phrase', phrase: `  ${TEST_PHRASE.toUpperCase().replace(/ /g, '   ')} ` },
  });
  assert.ok(imported.state === 'ready' && imported.backup === 'imported');
  assert.equal(imported.address, TEST_PHRASE_ADDRESS);
  await fails(phrase.wallet.import({ secret: { kind: 'phrase', phrase: TEST_PHRASE } }), 'WALLET_EXISTS');

  const key = Wallet.createRandom();
  for (const privateKey of [key.privateKey, key.privateKey.slice(2)]) {
    const { wallet } = await testWallet();
    const info = await wallet.import({ secret: { kind: 'privateKey', privateKey } });
    assert.ok(info.state === 'ready' && info.address === key.address);
  }

  const { wallet } = await testWallet();
  const badPhrase = 'test test test test test test test test test test test test';
  await fails(
    wallet.import({ secret: { kind: 'phrase', phrase: badPhrase } }),
    'BAD_SECRET',
    /^Every word is a recovery-phrase word, but together they are not a valid phrase/,
  );
  await fails(
    wallet.import({ secret: { kind: 'privateKey', privateKey: `0x${'0'.repeat(64)}` } }),
    'BAD_SECRET',
    /^That is not a valid private key\.$/,
  );
  assert.equal(wallet.info().state, 'none');
});

test('export: a V3 keystore that opens with its passphrase and gives the same address', { timeout: 120_000 }, async () => {
  const { wallet, confirmed } = await testWallet();
  const info = await wallet.import({ secret: { kind: 'phrase', phrase: TEST_PHRASE } });
  const exported = await wallet.exportKeystore({ passphrase: 'export passphrase', auth: confirmed(wallet, 'export') });
  assert.ok(exported.to === 'download', 'without a save dialog the page saves it as a download');
  assert.equal(exported.fileName, `synor-wallet-${TEST_PHRASE_ADDRESS}.json`);
  assert.equal(JSON.parse(exported.json).version, 3);
  assert.equal((await Wallet.fromEncryptedJson(exported.json, 'export passphrase')).address, info.state === 'ready' && info.address);
  await assert.rejects(Wallet.fromEncryptedJson(exported.json, 'another passphrase'), /incorrect password/);
});

test('change passphrase re-encrypts the keystore file; it does not apply to keys the OS protects', { timeout: 120_000 }, async () => {
  const { wallet: fileWallet, reopen } = await testWallet({ secrets: null });
  await fileWallet.create({ passphrase: 'first passphrase' });
  await fails(fileWallet.changePassphrase({ current: 'not it at all', next: 'second passphrase' }), 'WRONG_PASSPHRASE');
  await fileWallet.changePassphrase({ current: 'first passphrase', next: 'second passphrase' });
  const later = await reopen();
  await fails(later.unlock({ passphrase: 'first passphrase' }), 'WRONG_PASSPHRASE');
  assert.equal((await later.unlock({ passphrase: 'second passphrase' })).state, 'ready');

  const { wallet } = await testWallet();
  await wallet.create({});
  await fails(wallet.changePassphrase({ current: 'x', next: 'second passphrase' }), 'NOT_APPLICABLE', /Export a backup/);
});

test(
  'remove needs the address typed back, then deletes the key and the wallet files; a new wallet can follow',
  { timeout: 120_000 },
  async () => {
    const { wallet, secrets, options, confirmed } = await testWallet();
    const info = await wallet.create({});
    assert.ok(info.state === 'ready');
    await fails(wallet.remove({ address: Wallet.createRandom().address }), 'NOT_APPLICABLE', /nothing was removed/);
    assert.equal(secrets.secrets.size, 1);
    assert.deepEqual(await wallet.remove({ address: info.address.toLowerCase(), auth: confirmed(wallet, 'remove') }), { state: 'none' });
    assert.equal(secrets.secrets.size, 0);
    assert.deepEqual(await readdir(options.dir), []);
    await fails(async () => wallet.signer(), 'NO_WALLET');
    assert.equal((await wallet.create({})).state, 'ready');
  },
);

test('the signer signs EIP-712 device registrations that recover to the wallet address', { timeout: 120_000 }, async () => {
  const { wallet } = await testWallet();
  await wallet.import({ secret: { kind: 'phrase', phrase: TEST_PHRASE } });
  const signer = wallet.signer();
  const value = { deviceId: 'device-1', owner: signer.address };
  const signature = await signer.signTypedData(REGISTRATION.domain, REGISTRATION.types, value);
  assert.equal(verifyTypedData(REGISTRATION.domain, REGISTRATION.types, value, signature), TEST_PHRASE_ADDRESS);
  assert.deepEqual(Object.keys(signer).sort(), ['address', 'signTypedData']);
});

test(
  'a damaged wallet file is reported and left in place; a key missing from the OS store sets the wallet aside',
  { timeout: 120_000 },
  async () => {
    const { wallet, options, reopen, secrets, logger } = await testWallet();
    const info = await wallet.create({});
    assert.ok(info.state === 'ready');
    secrets.secrets.clear();
    const later = await reopen();
    // Not "locked": nothing could unlock it, and a locked wallet refuses the import that can (wallet-backup.test.ts).
    assert.deepEqual(later.info(), { state: 'none', lost: { address: info.address } });
    assert.ok(logger.lines.some((l) => /Its key is no longer kept by your system's keychain/.test(l)));

    const metaFile = join(options.dir, 'wallet.json');
    await writeFile(metaFile, '{"version": 1, "addr');
    const damaged = await reopen();
    assert.deepEqual(damaged.info(), { state: 'none' });
    assert.match(
      damaged.notice ?? '',
      /^The wallet file was damaged; it was kept as wallet\.json\.bad-[\dTZ-]+ \(nothing was deleted\)\. .*import your recovery phrase/,
    );
    const [aside] = (await readdir(options.dir)).filter((name) => name.startsWith('wallet.json.bad-'));
    assert.equal(await readFile(join(options.dir, aside!), 'utf8'), '{"version": 1, "addr', 'kept byte for byte');
  },
);

test(
  'walletResult turns wallet errors into coded data and hides unexpected ones behind a generic sentence',
  { timeout: 120_000 },
  async () => {
    const logger = new MemoryLogger();
    assert.deepEqual(await walletResult(Promise.resolve(1), logger), { ok: true, value: 1 });
    assert.deepEqual(await walletResult(Promise.reject(new WalletError('LOCKED', 'locked')), logger), {
      ok: false,
      error: { code: 'LOCKED', message: 'locked' },
    });
    const result = await walletResult(Promise.reject(new TypeError('internal detail')), logger);
    assert.deepEqual(result, {
      ok: false,
      error: { code: 'INTERNAL', message: 'The wallet hit an unexpected error; details are in the log.' },
    });
    assert.deepEqual(logger.lines, ['error wallet: TypeError: internal detail']);
  },
);

test('scrypt runs off the event loop: timers keep firing between its progress reports', { timeout: 120_000 }, async () => {
  let last = 0;
  const timerSaw: number[] = [];
  const { wallet } = await testWallet({ secrets: null, scryptN: 2 ** 15, onProgress: (p) => (last = p.fraction) });
  const timer = setInterval(() => timerSaw.push(last), 1);
  try {
    await wallet.create({ passphrase: 'a long enough passphrase' });
  } finally {
    clearInterval(timer);
  }
  assert.equal(last, 1);
  assert.ok(
    timerSaw.some((fraction) => fraction > 0 && fraction < 1),
    'the loop ran while scrypt was half done',
  );
});
