import assert from 'node:assert/strict';
import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { Wallet } from 'ethers';
import type { KeyWorkProgress } from '../../main/common/wallet.js';
import type { WalletError } from '../../main/core/wallet/errors.js';
import { CONFIRM_COOLDOWN_MS, CONFIRM_VALID_MS } from '../../main/core/wallet/guard.js';
import { fails, testWallet, TEST_PHRASE, TEST_PHRASE_ADDRESS } from '../helpers/wallet.js';

const PASS = 'correct horse battery';
const fileWallet = async (progress?: KeyWorkProgress[]) => {
  const setup = await testWallet({ secrets: null, ...(progress ? { onProgress: (p: KeyWorkProgress) => progress.push(p) } : {}) });
  await setup.wallet.import({ secret: { kind: 'phrase', phrase: TEST_PHRASE }, passphrase: PASS });
  const keystore = join(setup.options.dir, 'keystore.json');
  return { ...setup, keystore, meta: join(setup.options.dir, 'wallet.json') };
};
const files = (dir: string) => readdir(dir).then((names) => names.sort());

test(
  'a damaged wallet.json beside a good key file: set aside, the wallet restored from the key file, nothing overwritten',
  { timeout: 120_000 },
  async () => {
    const { options, keystore, meta, reopen } = await fileWallet();
    const key = await readFile(keystore, 'utf8');
    await writeFile(meta, '{"version": 1, "addr');
    const again = await reopen();
    assert.deepEqual(again.info(), {
      state: 'locked',
      address: TEST_PHRASE_ADDRESS,
      storage: 'keystore-file',
      backup: 'export-recommended',
    });
    assert.match(
      again.notice ?? '',
      /^The wallet file was damaged; it was kept as wallet\.json\.bad-\S+, so your wallet was restored from its key file\. Unlock it/,
    );
    // What the issue did next: "Create or import a wallet". The key file must survive it.
    await fails(again.create({ passphrase: 'another passphrase' }), 'WALLET_EXISTS');
    assert.equal(await readFile(keystore, 'utf8'), key);
    assert.equal((await again.unlock({ passphrase: PASS })).state, 'ready');
    assert.equal((await files(options.dir)).filter((n) => n.startsWith('wallet.json.bad-')).length, 1);
  },
);

test(
  'a flipped ciphertext byte is told apart from a wrong passphrase: the file is set aside and the user told to import',
  { timeout: 120_000 },
  async () => {
    const { keystore, reopen, options } = await fileWallet();
    const later = await reopen();
    await fails(later.unlock({ passphrase: 'not the passphrase' }), 'WRONG_PASSPHRASE');
    const good = await readFile(keystore, 'utf8');
    const at = good.indexOf('"ciphertext":"') + 20;
    const flipped = good.slice(0, at) + (good[at] === 'a' ? 'b' : 'a') + good.slice(at + 1);
    await writeFile(keystore, flipped);
    const damaged = await reopen();
    assert.deepEqual(damaged.info(), { state: 'none', lost: { address: TEST_PHRASE_ADDRESS } });
    assert.match(
      damaged.notice ?? '',
      /^Your wallet 0xf39F…2266 needs its recovery phrase or backup file: import it to go on\. The file holding its key is damaged \(its checksum does not match \(some bytes changed\)\); it was kept as keystore\.json\.bad-\S+ \(nothing was deleted\)\.$/,
    );
    const names = await files(options.dir);
    assert.equal(names.filter((n) => n.startsWith('keystore.json.bad-') || n.startsWith('wallet.json.old-')).length, 2, names.join());
    const aside = names.find((n) => n.startsWith('keystore.json.bad-'))!;
    assert.equal(await readFile(join(options.dir, aside), 'utf8'), flipped, 'kept byte for byte');
    // The way back the notice names works.
    assert.equal((await damaged.import({ secret: { kind: 'phrase', phrase: TEST_PHRASE }, passphrase: PASS })).state, 'ready');
  },
);

test('a key file from before the checksum: a cut-short ciphertext is damage; an intact one still opens', { timeout: 120_000 }, async () => {
  const { keystore, reopen } = await fileWallet();
  const legacy = JSON.parse(await readFile(keystore, 'utf8'));
  delete legacy.synorChecksum;
  await writeFile(keystore, JSON.stringify(legacy));
  const intact = await reopen();
  await fails(intact.unlock({ passphrase: 'not the passphrase' }), 'WRONG_PASSPHRASE');
  assert.equal((await intact.unlock({ passphrase: PASS })).state, 'ready');
  const crypto = legacy.Crypto ?? legacy.crypto; // ethers writes "Crypto"
  crypto.ciphertext = crypto.ciphertext.slice(0, 40);
  await writeFile(keystore, JSON.stringify(legacy));
  assert.match((await reopen()).notice ?? '', /damaged \(it is not a complete V3 keystore\)/);
});

test(
  'create never overwrites a key file it cannot account for: the old one is kept beside as .old-<time>',
  { timeout: 120_000 },
  async () => {
    const { wallet, keystore, meta, options, reopen } = await fileWallet();
    assert.ok(wallet.info().state === 'ready');
    // A key file without an address cannot be matched to a wallet (so it is not restored), yet it is still a key.
    const anonymous = JSON.parse(await readFile(keystore, 'utf8'));
    delete anonymous.address;
    delete anonymous.synorChecksum;
    await writeFile(keystore, JSON.stringify(anonymous));
    await rm(meta);
    const fresh = await reopen();
    assert.equal(fresh.info().state, 'none');
    await fresh.create({ passphrase: 'a new passphrase' });
    const old = (await files(options.dir)).find((n) => n.startsWith('keystore.json.old-'))!;
    assert.deepEqual(JSON.parse(await readFile(join(options.dir, old), 'utf8')), anonymous);
    assert.equal((await Wallet.fromEncryptedJson(await readFile(join(options.dir, old), 'utf8'), PASS)).address, TEST_PHRASE_ADDRESS);
  },
);

test('keystore-file wallet: export and remove need the wallet passphrase, not just the local token', { timeout: 120_000 }, async () => {
  const { wallet, keystore } = await fileWallet();
  await fails(
    wallet.exportKeystore({ passphrase: 'chosen by a script' }),
    'CONFIRMATION_REQUIRED',
    /^Enter your wallet passphrase to export/,
  );
  await fails(wallet.exportKeystore({ passphrase: 'chosen by a script', auth: { passphrase: 'a guess' } }), 'WRONG_PASSPHRASE');
  const exported = await wallet.exportKeystore({ passphrase: 'export passphrase', auth: { passphrase: PASS } });
  assert.ok(exported.to === 'download');
  assert.equal((await Wallet.fromEncryptedJson(exported.json, 'export passphrase')).address, TEST_PHRASE_ADDRESS);
  await fails(() => wallet.requestConfirmation({ action: 'remove' }), 'CONFIRMATION_REQUIRED', /passphrase/);
  await fails(wallet.remove({ address: TEST_PHRASE_ADDRESS }), 'CONFIRMATION_REQUIRED', /^Enter your wallet passphrase to remove/);
  await readFile(keystore); // still there
  assert.deepEqual(await wallet.remove({ address: TEST_PHRASE_ADDRESS, auth: { passphrase: PASS } }), { state: 'none' });
  await assert.rejects(readFile(keystore), { code: 'ENOENT' });
});

test(
  'OS-kept key: a confirmation counts only after its cool-down, once, with the address typed back, until it expires',
  { timeout: 120_000 },
  async () => {
    const { wallet, clock, secrets } = await testWallet();
    const info = await wallet.import({ secret: { kind: 'phrase', phrase: TEST_PHRASE } });
    assert.ok(info.state === 'ready');
    await fails(wallet.remove({ address: info.address }), 'CONFIRMATION_REQUIRED', /ask for a new confirmation/);
    const { token, readyAt, expiresAt } = wallet.requestConfirmation({ action: 'remove' });
    assert.equal(readyAt - clock.ms, CONFIRM_COOLDOWN_MS);
    assert.deepEqual(wallet.confirmations(), [{ action: 'remove', readyAt, expiresAt }], 'visible, without the token');
    await fails(
      wallet.remove({ address: info.address, auth: { token, address: info.address } }),
      'CONFIRMATION_REQUIRED',
      /^Wait 10 s more/,
    );
    clock.advance(CONFIRM_COOLDOWN_MS);
    await fails(wallet.remove({ address: info.address, auth: { token: 'f'.repeat(32), address: info.address } }), 'CONFIRMATION_REQUIRED');
    await fails(
      wallet.exportKeystore({ passphrase: 'export passphrase', auth: { token, address: info.address } }),
      'CONFIRMATION_REQUIRED',
      /export/,
    );
    const other = Wallet.createRandom().address;
    await fails(wallet.remove({ address: info.address, auth: { token, address: other } }), 'NOT_APPLICABLE');
    assert.equal(secrets.secrets.size, 1);

    const { token: exportToken } = wallet.requestConfirmation({ action: 'export' });
    clock.advance(CONFIRM_COOLDOWN_MS + CONFIRM_VALID_MS);
    await fails(
      wallet.exportKeystore({ passphrase: 'export passphrase', auth: { token: exportToken, address: info.address } }),
      'CONFIRMATION_REQUIRED',
      /ask for a new/,
    );
    assert.deepEqual(wallet.confirmations(), [], 'expired ones are gone');

    const fresh = wallet.requestConfirmation({ action: 'remove' });
    clock.advance(CONFIRM_COOLDOWN_MS);
    assert.deepEqual(await wallet.remove({ address: info.address, auth: { token: fresh.token, address: info.address.toLowerCase() } }), {
      state: 'none',
    });
    assert.equal(secrets.secrets.size, 0);
  },
);

test(
  'unlocks run one scrypt at a time: 24 parallel right ones decrypt once, 24 wrong ones are cut off after 3',
  { timeout: 120_000 },
  async () => {
    const progress: KeyWorkProgress[] = [];
    const { reopen } = await fileWallet(progress);
    const decrypts = () => progress.filter((p) => p.op === 'decrypt' && p.fraction === 1).length;

    const right = await reopen();
    progress.length = 0;
    const results = await Promise.all(Array.from({ length: 24 }, () => right.unlock({ passphrase: PASS })));
    assert.ok(results.every((r) => r.state === 'ready'));
    assert.equal(decrypts(), 1);

    const wrong = await reopen();
    progress.length = 0;
    const outcomes = await Promise.allSettled(Array.from({ length: 24 }, () => wrong.unlock({ passphrase: 'a guess' })));
    const codes = outcomes.map((o) => (o.status === 'rejected' ? (o.reason as WalletError).code : 'ok'));
    assert.deepEqual(codes, [...Array(3).fill('WRONG_PASSPHRASE'), ...Array(21).fill('RATE_LIMITED')]);
    assert.equal(decrypts(), 3, 'only three scrypt runs');
    await fails(wrong.unlock({ passphrase: PASS }), 'RATE_LIMITED', /^Too many wrong passphrases\. Wait 2 s/);
  },
);

test('back-off doubles after each further wrong passphrase and a right one resets it', { timeout: 120_000 }, async () => {
  const { reopen, clock } = await fileWallet();
  const wallet = await reopen();
  for (let i = 0; i < 3; i++) await fails(wallet.unlock({ passphrase: 'a guess' }), 'WRONG_PASSPHRASE');
  await fails(wallet.unlock({ passphrase: 'a guess' }), 'RATE_LIMITED', /Wait 2 s/);
  clock.advance(2000);
  await fails(wallet.unlock({ passphrase: 'a guess' }), 'WRONG_PASSPHRASE');
  await fails(wallet.unlock({ passphrase: PASS }), 'RATE_LIMITED', /Wait 4 s/);
  clock.advance(4000);
  assert.equal((await wallet.unlock({ passphrase: PASS })).state, 'ready');
  // Reset: wrong passphrases elsewhere (change passphrase) start counting from zero again.
  for (let i = 0; i < 2; i++) await fails(wallet.changePassphrase({ current: 'a guess', next: 'whatever it is' }), 'WRONG_PASSPHRASE');
});
