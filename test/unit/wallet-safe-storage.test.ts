import assert from 'node:assert/strict';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { SafeStorageStore } from '../../main/electron/secret-store.js';
import { WalletService } from '../../main/core/wallet/service.js';
import { MemoryLogger, tempDir } from '../helpers/fakes.js';
import { keyOfPhrase } from '../helpers/wallet.js';

type Backend = ReturnType<Electron.SafeStorage['getSelectedStorageBackend']>;

/** Electron's safeStorage as the OS provides it: AES under a key the OS holds (here, one per fake). */
class FakeSafeStorage {
  private readonly key = randomBytes(32);
  available = true;
  backend: Backend = 'gnome_libsecret';

  isEncryptionAvailable(): boolean {
    return this.available;
  }
  getSelectedStorageBackend(): Backend {
    return this.backend;
  }
  encryptString(plain: string): Buffer {
    const iv = randomBytes(16);
    const cipher = createCipheriv('aes-256-cbc', this.key, iv);
    return Buffer.concat([iv, cipher.update(plain, 'utf8'), cipher.final()]);
  }
  decryptString(data: Buffer): string {
    const decipher = createDecipheriv('aes-256-cbc', this.key, data.subarray(0, 16));
    return Buffer.concat([decipher.update(data.subarray(16)), decipher.final()]).toString('utf8');
  }
}

test('secrets round-trip through safeStorage and are stored only as ciphertext', { timeout: 120_000 }, async () => {
  const dir = await tempDir();
  const store = new SafeStorageStore(new FakeSafeStorage(), dir);
  assert.equal(await store.unavailableReason(), null);
  assert.equal(await store.get('wallet-0xabc'), null);
  await store.set('wallet-0xabc', 'the secret value');
  assert.equal(await store.get('wallet-0xabc'), 'the secret value');
  const [file] = await readdir(dir);
  assert.equal(file, 'wallet-0xabc.enc');
  assert.ok(!(await readFile(join(dir, file))).toString('latin1').includes('secret'));
  assert.ok(
    !Buffer.from(await readFile(join(dir, file), 'utf8'), 'base64')
      .toString('latin1')
      .includes('secret'),
  );
  await store.delete('wallet-0xabc');
  assert.equal(await store.get('wallet-0xabc'), null);
  assert.deepEqual(await readdir(dir), []);
});

test(
  'safeStorage is refused when the OS gives it no key, or on Linux when it would only obfuscate (basic_text)',
  { timeout: 120_000 },
  async () => {
    const safe = new FakeSafeStorage();
    safe.backend = 'basic_text';
    assert.match(
      (await new SafeStorageStore(safe, await tempDir(), 'linux').unavailableReason())?.message ?? '',
      /no keyring .* would not really encrypt/,
    );
    assert.equal(await new SafeStorageStore(safe, await tempDir(), 'win32').unavailableReason(), null);
    safe.available = false;
    assert.deepEqual(await new SafeStorageStore(safe, await tempDir(), 'win32').unavailableReason(), {
      code: 'SECRET_STORE',
      message: 'Electron safeStorage has no OS encryption key',
    });
  },
);

test(
  'the wallet keeps its key in safeStorage and finds it after a restart; another OS key cannot read it',
  { timeout: 120_000 },
  async () => {
    const dir = await tempDir();
    const safe = new FakeSafeStorage();
    const options = { dir, secrets: new SafeStorageStore(safe, join(dir, 'secrets')), logger: new MemoryLogger() };
    const wallet = new WalletService(options);
    await wallet.open();
    const info = await wallet.create({});
    assert.ok(info.state === 'ready' && info.storage === 'safe-storage');
    const key = keyOfPhrase((await wallet.revealRecoveryPhrase({ confirm: 'show-recovery-phrase' })).words);
    const stored = await readFile(join(dir, 'secrets', `wallet-${info.address.toLowerCase()}.enc`), 'utf8');
    assert.ok(!stored.includes(key.slice(2)) && !Buffer.from(stored, 'base64').toString('latin1').includes(key.slice(2)));

    const again = new WalletService(options);
    assert.equal((await again.open()).state, 'ready');
    assert.equal(again.signer().address, info.address);

    const elsewhere = new WalletService({ ...options, secrets: new SafeStorageStore(new FakeSafeStorage(), join(dir, 'secrets')) });
    assert.equal((await elsewhere.open()).state, 'locked');
  },
);
