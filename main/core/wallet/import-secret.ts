import { LangEn, Wallet } from 'ethers';
import type { z } from 'zod';
import type { ImportWalletArgsSchema } from '../../common/wallet.js';
import { WalletError } from './errors.js';
import { decryptKeystore } from './keystore-worker.js';
import { parseKeystoreText } from './keystore-v3.js';

export type ImportSecret = z.infer<typeof ImportWalletArgsSchema>['secret'];

/**
 * Decrypts a checked V3 keystore in the scrypt worker. ethers says "incorrect password" only when the MAC does not
 * match, which for a file that passed its checks means the passphrase; anything else means the file is damaged.
 */
export async function openKeystore(
  json: string,
  passphrase: string,
  onProgress: ((fraction: number) => void) | undefined,
  said: { wrong: string; damaged: WalletError },
): Promise<Wallet> {
  try {
    return new Wallet((await decryptKeystore(json, passphrase, onProgress)).privateKey);
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('incorrect password')) throw new WalletError('WRONG_PASSPHRASE', said.wrong);
    throw said.damaged;
  }
}

/**
 * The key behind what the user gave: a recovery phrase, a private key, or a backup file (this app's encrypted export
 * or another wallet's V3 keystore) with its passphrase. `decrypt` runs the keystore's scrypt (one at a time, off the
 * event loop).
 */
export async function keyFromSecret(secret: ImportSecret, decrypt: (json: string, passphrase: string) => Promise<Wallet>): Promise<Wallet> {
  if (secret.kind === 'keystore') {
    const parsed = parseKeystoreText(secret.json);
    if (!parsed.ok)
      throw new WalletError(parsed.error.code, `That file is not a wallet backup this app can open: ${parsed.error.message}.`);
    return decrypt(parsed.value.json, secret.passphrase);
  }
  if (secret.kind === 'phrase') return keyFromPhrase(secret.phrase);
  try {
    return new Wallet(secret.privateKey.startsWith('0x') ? secret.privateKey : `0x${secret.privateKey}`);
  } catch {
    throw new WalletError('BAD_SECRET', 'That is not a valid private key.');
  }
}

/**
 * The words of a recovery phrase, checked one by one against the BIP-39 list first, so a typo is named by its
 * place rather than reported as "not a phrase" (the word itself is not said back: it may be one letter off a word of
 * the secret); then the phrase's own checksum, which catches swapped words.
 */
function keyFromPhrase(phrase: string): Wallet {
  const words = phrase.trim().toLowerCase().split(/\s+/);
  const list = LangEn.wordlist();
  const unknown = words.findIndex((word) => list.getWordIndex(word) < 0);
  if (unknown >= 0) {
    throw new WalletError(
      'BAD_SECRET',
      `Word ${unknown + 1} of the recovery phrase is not a recovery-phrase word: check its spelling on your written copy.`,
    );
  }
  if (words.length !== 12 && words.length !== 24) {
    throw new WalletError(
      'BAD_SECRET',
      `A recovery phrase has 12 or 24 words; this one has ${words.length}. Check for a missing or extra word.`,
    );
  }
  try {
    return new Wallet(Wallet.fromPhrase(words.join(' ')).privateKey);
  } catch {
    throw new WalletError(
      'BAD_SECRET',
      'Every word is a recovery-phrase word, but together they are not a valid phrase: check their order and that none was swapped for another.',
    );
  }
}
