import type { AsyncEntry } from '@napi-rs/keyring';
import { errorText, fail, ok, type Failure, type Result } from '../../common/result.js';

/** Why secrets cannot be kept in a store right now, in words for the user (after "cannot go into the OS keychain: "). */
export type StoreUnavailable = Failure<'SECRET_STORE'>;
export const storeUnavailable = (message: string): StoreUnavailable => ({ code: 'SECRET_STORE', message });

/**
 * Where the wallet keeps its private key when the OS can protect it. Implementations: the OS keychain
 * (KeychainStore, headless) and Electron safeStorage (main/electron/secret-store.ts). When neither is usable the
 * wallet falls back to a passphrase-encrypted keystore file (see service.ts); there is no plain-text store.
 */
export interface SecretStore {
  readonly kind: 'keychain' | 'safe-storage';
  /** Why secrets cannot be kept here right now (no D-Bus, locked keyring…), or null when they can. */
  unavailableReason(): Promise<StoreUnavailable | null>;
  get(account: string): Promise<string | null>;
  set(account: string, secret: string): Promise<void>;
  delete(account: string): Promise<void>;
}

/** The OS store to keep a key in, or why there is none (no `secrets`: this mode has no OS store). */
export async function usableStore(secrets: SecretStore | null | undefined): Promise<Result<SecretStore, 'SECRET_STORE'>> {
  if (!secrets) return fail('SECRET_STORE', 'this mode has no OS secret store');
  const unavailable = await secrets.unavailableReason();
  return unavailable ? { ok: false, error: unavailable } : ok(secrets);
}

export const SECRET_SERVICE = 'Synor Contributor';
const PROBE_ACCOUNT = 'probe';

/**
 * The OS keychain (Secret Service on Linux, Keychain on macOS, Credential Manager on Windows) through
 * @napi-rs/keyring: prebuilt binaries, async calls that run off the event loop. See README "Key storage".
 */
export class KeychainStore implements SecretStore {
  readonly kind = 'keychain';

  constructor(private readonly service = SECRET_SERVICE) {}

  /** The addon loads on first use (a wallet created, imported or opened), not with the always-on agent. */
  private async entry(account: string): Promise<AsyncEntry> {
    const { AsyncEntry } = await import('@napi-rs/keyring');
    return new AsyncEntry(this.service, account);
  }

  /** A real round trip: a reachable but locked keyring only fails on write or read. */
  async unavailableReason(): Promise<StoreUnavailable | null> {
    try {
      const probe = await this.entry(PROBE_ACCOUNT);
      const value = `probe-${Date.now()}`;
      await probe.setPassword(value);
      const back = await probe.getPassword();
      await probe.deleteCredential();
      return back === value ? null : storeUnavailable('the OS keychain did not return what was stored');
    } catch (error) {
      return storeUnavailable(`the OS keychain cannot be used (${errorText(error)})`);
    }
  }

  async get(account: string): Promise<string | null> {
    return (await this.entry(account)).getPassword();
  }

  async set(account: string, secret: string): Promise<void> {
    await (await this.entry(account)).setPassword(secret);
  }

  async delete(account: string): Promise<void> {
    await (await this.entry(account)).deleteCredential();
  }
}
