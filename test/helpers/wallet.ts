import assert from 'node:assert/strict';
import { HDNodeWallet } from 'ethers';
import type { GuardedAction } from '../../main/common/wallet.js';
import { WalletError, type WalletErrorCode } from '../../main/core/wallet/errors.js';
import { CONFIRM_COOLDOWN_MS } from '../../main/core/wallet/guard.js';
import { storeUnavailable, type SecretStore, type StoreUnavailable } from '../../main/core/wallet/secret-store.js';
import type { WalletServiceOptions } from '../../main/core/wallet/service-options.js';
import { WalletService } from '../../main/core/wallet/service.js';
import { MemoryLogger, tempDir } from './fakes.js';

/** An OS secret store that keeps secrets in memory; `unavailable` plays a machine without a secret service. */
export class MemorySecretStore implements SecretStore {
  readonly kind = 'keychain';
  readonly secrets = new Map<string, string>();
  unavailable: string | null = null;

  async unavailableReason(): Promise<StoreUnavailable | null> {
    return this.unavailable === null ? null : storeUnavailable(this.unavailable);
  }
  async get(account: string): Promise<string | null> {
    return this.secrets.get(account) ?? null;
  }
  async set(account: string, secret: string): Promise<void> {
    this.secrets.set(account, secret);
  }
  async delete(account: string): Promise<void> {
    this.secrets.delete(account);
  }
}

/** scrypt N = 4096 keeps each keystore operation at a few ms (the app uses ethers' default, 2^17). */
export const TEST_SCRYPT_N = 4096;

/** Wall-clock time that moves only when a test says so: cool-downs and back-offs without sleeping. */
export class TestClock {
  ms = Date.UTC(2026, 0, 1);
  readonly now = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}

export async function testWallet(overrides: Partial<WalletServiceOptions> = {}) {
  const logger = new MemoryLogger();
  const secrets = new MemorySecretStore();
  const clock = new TestClock();
  const options: WalletServiceOptions = {
    dir: await tempDir('synor-wallet-'),
    secrets,
    logger,
    scryptN: TEST_SCRYPT_N,
    now: clock.now,
    ...overrides,
  };
  const wallet = new WalletService(options);
  await wallet.open();
  /** The same folder and store, as after a restart. */
  const reopen = async (more: Partial<WalletServiceOptions> = {}) => {
    const again = new WalletService({ ...options, ...more });
    await again.open();
    return again;
  };
  /** What the UI does for an OS-kept key: ask for a confirmation, let the cool-down pass, type the address back. */
  const confirmed = (on: WalletService, action: GuardedAction) => {
    const { token } = on.requestConfirmation({ action });
    clock.advance(CONFIRM_COOLDOWN_MS);
    const info = on.info();
    return { token, address: info.state === 'none' ? '' : info.address };
  };
  return { wallet, logger, secrets, options, reopen, clock, confirmed };
}

/** The key behind a phrase shown by revealRecoveryPhrase (ethers' default path, as Wallet.createRandom uses). */
export const keyOfPhrase = (words: string[]): string => HDNodeWallet.fromPhrase(words.join(' ')).privateKey;

/** Anvil's public test mnemonic and its first account. */
export const TEST_PHRASE = 'test test test test test test test test test test test junk';
export const TEST_PHRASE_ADDRESS = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266';

/**
 * The first fragment of `secret` found in `text`: the key in hex, or any three phrase words in a row. The text is
 * reduced to lowercase words first, so the phrase is caught in any form (spaces, a JSON array, a log line).
 */
export function findLeak(text: string, secret: { key?: string; phrase?: string }): string | undefined {
  const words = ` ${text.toLowerCase().replace(/[^a-z0-9]+/g, ' ')} `;
  const fragments: string[] = [];
  if (secret.key) fragments.push(secret.key.toLowerCase().replace(/^0x/, ''));
  const phrase = secret.phrase?.toLowerCase().split(' ').filter(Boolean) ?? [];
  for (let i = 0; i + 3 <= phrase.length; i++) fragments.push(` ${phrase.slice(i, i + 3).join(' ')} `);
  return fragments.find((fragment) => words.includes(fragment));
}

/** `work` fails with a WalletError of `code`, and a message matching `message` when given. */
export const fails = (work: Promise<unknown> | (() => unknown), code: WalletErrorCode, message?: RegExp) =>
  assert.rejects(
    async () => (typeof work === 'function' ? work() : work),
    (error: unknown) => {
      assert.ok(error instanceof WalletError, String(error));
      assert.equal(error.code, code, error.message);
      if (message) assert.match(error.message, message);
      return true;
    },
  );
