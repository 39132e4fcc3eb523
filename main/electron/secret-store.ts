import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoCode } from '../common/errno.js';
import type { SafeStorage } from 'electron';
import { writeFileAtomic } from '../core/fs/atomic.js';
import { storeUnavailable, type SecretStore, type StoreUnavailable } from '../core/wallet/secret-store.js';

type SafeStoragePart = Pick<SafeStorage, 'isEncryptionAvailable' | 'encryptString' | 'decryptString' | 'getSelectedStorageBackend'>;

/**
 * Secrets encrypted by Electron's safeStorage (a key held by the OS: Keychain, DPAPI, libsecret/kwallet) and kept
 * as files in `dir`. Receives the safeStorage object so tests can pass a fake; main.ts passes the real one after
 * app 'ready'.
 */
export class SafeStorageStore implements SecretStore {
  readonly kind = 'safe-storage';

  constructor(
    private readonly safeStorage: SafeStoragePart,
    private readonly dir: string,
    private readonly platform: NodeJS.Platform = process.platform,
  ) {}

  private file(account: string): string {
    return join(this.dir, `${account.replace(/[^a-zA-Z0-9_-]/g, '_')}.enc`);
  }

  async unavailableReason(): Promise<StoreUnavailable | null> {
    if (!this.safeStorage.isEncryptionAvailable()) return storeUnavailable('Electron safeStorage has no OS encryption key');
    // On Linux without a keyring, safeStorage "encrypts" with a hard-coded key: that is plain text in disguise.
    if (this.platform === 'linux' && this.safeStorage.getSelectedStorageBackend() === 'basic_text') {
      return storeUnavailable('no keyring (GNOME Keyring, KWallet) is running, so safeStorage would not really encrypt');
    }
    return null;
  }

  async get(account: string): Promise<string | null> {
    let data: string;
    try {
      data = await readFile(this.file(account), 'utf8');
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return null;
      throw error;
    }
    return this.safeStorage.decryptString(Buffer.from(data, 'base64'));
  }

  async set(account: string, secret: string): Promise<void> {
    // writeFileAtomic writes text: base64 keeps the ciphertext intact.
    await writeFileAtomic(this.file(account), this.safeStorage.encryptString(secret).toString('base64'));
  }

  async delete(account: string): Promise<void> {
    await rm(this.file(account), { force: true });
  }
}
