import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { test } from 'node:test';
import { encryptKeystoreJson, Wallet } from 'ethers';
import type { KeyWorkProgress } from '../../main/common/wallet.js';
import { walletResult } from '../../main/core/wallet/errors.js';
import type { WalletService } from '../../main/core/wallet/service.js';
import { MemoryLogger } from '../helpers/fakes.js';
import { findLeak, keyOfPhrase, testWallet, TEST_PHRASE, TEST_SCRYPT_N } from '../helpers/wallet.js';

/**
 * Everything a UI-facing caller can see: each call's result or error (as walletResult turns it into data, and the
 * raw error with its stack), every log line, every progress event, and the service object itself as a log would
 * print it. revealRecoveryPhrase is the one deliberate exception and is not recorded.
 */
class Capture {
  readonly seen: string[] = [];
  readonly logger = new MemoryLogger();
  readonly progress: KeyWorkProgress[] = [];

  async call<T>(work: () => Promise<T> | T): Promise<T | undefined> {
    try {
      const value = await work();
      this.seen.push(JSON.stringify(value) ?? 'undefined', inspect(value, { depth: 8, showHidden: true }));
      return value;
    } catch (error) {
      this.seen.push(String(error), (error as Error).stack ?? '', JSON.stringify(await walletResult(Promise.reject(error), this.logger)));
      return undefined;
    }
  }

  text(services: WalletService[]): string {
    const objects = services.map((s) => inspect(s, { depth: 8, showHidden: true }));
    return [...this.seen, ...this.logger.lines, JSON.stringify(this.progress), ...objects].join('\n').toLowerCase();
  }
}

test(
  'create, import, unlock, sign, export, change passphrase and remove never show a key or phrase to the caller or the log',
  { timeout: 120_000 },
  async () => {
    const capture = new Capture();
    const shared = { logger: capture.logger, onProgress: (p: KeyWorkProgress) => capture.progress.push(p) };
    const secrets: { key?: string; phrase?: string }[] = [];
    const services: WalletService[] = [];
    const domain = { name: 'Synor', version: '1', chainId: 31337 };
    const types = { Device: [{ name: 'deviceId', type: 'string' }] };

    // In the OS store: create, backup check, sign, export, restart, remove.
    const os = await testWallet(shared);
    await capture.call(() => os.wallet.create({}));
    const osPhrase = (await os.wallet.revealRecoveryPhrase({ confirm: 'show-recovery-phrase' })).words;
    secrets.push({ phrase: osPhrase.join(' '), key: keyOfPhrase(osPhrase) });
    await capture.call(() =>
      os.wallet.confirmBackup({
        words: [
          { position: 1, word: 'zoo' },
          { position: 2, word: 'zoo' },
          { position: 3, word: 'zoo' },
        ],
      }),
    );
    await capture.call(() => os.wallet.confirmBackup({ words: [1, 2, 3].map((p) => ({ position: p, word: osPhrase[p - 1]! })) }));
    const signer = (await capture.call(() => os.wallet.signer()))!;
    await capture.call(() => signer.signTypedData(domain, types, { deviceId: 'd1' }));
    await capture.call(() => os.wallet.exportKeystore({ passphrase: 'export passphrase', auth: os.confirmed(os.wallet, 'export') }));
    const osAgain = await os.reopen();
    await capture.call(() => osAgain.info());
    await capture.call(() => osAgain.remove({ address: signer.address, auth: os.confirmed(osAgain, 'remove') }));
    services.push(os.wallet, osAgain);

    // In the keystore file: refused without passphrase, created, locked after restart, unlocked, re-keyed.
    const file = await testWallet({ ...shared, secrets: null });
    await capture.call(() => file.wallet.create({}));
    await capture.call(() => file.wallet.create({ passphrase: 'file passphrase' }));
    const filePhrase = (
      await file.wallet.revealRecoveryPhrase({ confirm: 'show-recovery-phrase', auth: { passphrase: 'file passphrase' } })
    ).words;
    secrets.push({ phrase: filePhrase.join(' '), key: keyOfPhrase(filePhrase) });
    const fileAgain = await file.reopen();
    await capture.call(() => fileAgain.signer());
    await capture.call(() => fileAgain.unlock({ passphrase: 'wrong passphrase' }));
    await capture.call(() => fileAgain.unlock({ passphrase: 'file passphrase' }));
    await capture.call(() => fileAgain.changePassphrase({ current: 'file passphrase', next: 'new file passphrase' }));
    await capture.call(() => fileAgain.signer().signTypedData(domain, types, { deviceId: 'd2' }));
    services.push(file.wallet, fileAgain);

    // Imports, good and bad: a failed import must not quote what was typed either.
    const byKey = Wallet.createRandom();
    const almostPhrase = `${TEST_PHRASE.split(' ').slice(0, 11).join(' ')} zoo`;
    const badKey = `0x${'f'.repeat(64)}`; // above the curve order
    secrets.push({ phrase: TEST_PHRASE }, { key: byKey.privateKey }, { phrase: almostPhrase }, { key: badKey });
    const imports = await testWallet(shared);
    await capture.call(() => imports.wallet.import({ secret: { kind: 'phrase', phrase: almostPhrase } }));
    await capture.call(() => imports.wallet.import({ secret: { kind: 'privateKey', privateKey: badKey } }));
    await capture.call(() => imports.wallet.import({ secret: { kind: 'phrase', phrase: TEST_PHRASE } }));
    const keyImport = await testWallet(shared);
    await capture.call(() => keyImport.wallet.import({ secret: { kind: 'privateKey', privateKey: byKey.privateKey } }));
    await capture.call(() => keyImport.wallet.signer().signTypedData(domain, types, { deviceId: 'd3' }));
    services.push(imports.wallet, keyImport.wallet);

    // Backup files: a wrong passphrase, not a backup, then the right one; the key inside is never shown either.
    const byBackup = Wallet.createRandom();
    secrets.push({ key: byBackup.privateKey });
    const account = { address: byBackup.address, privateKey: byBackup.privateKey };
    const backup = await encryptKeystoreJson(account, 'backup passphrase', { scrypt: { N: TEST_SCRYPT_N } });
    const backupImport = await testWallet(shared);
    for (const [json, passphrase] of [
      [backup, 'not the passphrase'],
      ['{"version": 3}', 'backup passphrase'],
      [backup, 'backup passphrase'],
    ] as const) {
      await capture.call(() => backupImport.wallet.import({ secret: { kind: 'keystore', json, passphrase } }));
    }
    services.push(backupImport.wallet);

    const seen = capture.text(services);
    // The capture is real: it holds the addresses, signatures, errors and log lines of all of the above.
    assert.ok([signer, byKey, byBackup].every((w) => seen.includes(w.address.toLowerCase())));
    assert.ok(['wrong_passphrase', 'passphrase_required', 'bad_secret', 'bad_backup'].every((code) => seen.includes(code)));
    assert.ok(capture.logger.lines.length >= 4 && capture.progress.length > 0);
    for (const secret of secrets) {
      const leak = findLeak(seen, secret);
      assert.equal(leak, undefined, `a secret leaked: …${leak?.slice(0, 6)}…`);
    }
    // And the detector does detect: the revealed phrase, had it been recorded, would fail this test.
    assert.ok(findLeak(`${seen}\n${JSON.stringify({ words: osPhrase })}`, secrets[0]!));
  },
);
