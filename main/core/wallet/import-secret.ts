import { Wallet } from 'ethers';
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
    if (!parsed.ok) throw new WalletError('BAD_BACKUP', `That file is not a wallet backup this app can open: ${parsed.reason}.`);
    return decrypt(parsed.json, secret.passphrase);
  }
  try {
    return secret.kind === 'phrase'
      ? new Wallet(Wallet.fromPhrase(secret.phrase.trim().toLowerCase().split(/\s+/).join(' ')).privateKey)
      : new Wallet(secret.privateKey.startsWith('0x') ? secret.privateKey : `0x${secret.privateKey}`);
  } catch {
    // ethers' own message would be fine (it redacts) but says nothing a user can act on.
    throw new WalletError(
      'BAD_SECRET',
      secret.kind === 'phrase'
        ? 'That is not a valid recovery phrase: check every word and their order.'
        : 'That is not a valid private key.',
    );
  }
}
