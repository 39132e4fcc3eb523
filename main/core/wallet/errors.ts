import { z } from 'zod';
import type { Logger } from '../ports.js';

export const WalletErrorCodeSchema = z.enum([
  'NO_WALLET',
  'WALLET_EXISTS',
  'LOCKED', // key in the keystore file, passphrase not entered yet
  'PASSPHRASE_REQUIRED', // no OS secret store: a passphrase must protect the keystore file
  'WRONG_PASSPHRASE',
  'BAD_SECRET', // import: not a valid phrase / private key
  'NO_PENDING_PHRASE',
  'BACKUP_MISMATCH',
  'NOT_APPLICABLE',
  'SECRET_STORE', // the OS store failed or holds no key for this wallet
  'STORAGE', // a wallet file could not be read or written
  'CHAIN_UNREACHABLE',
  'WRONG_CHAIN',
  'NO_CONTRACT',
  'CLAIM_REJECTED',
]);
export type WalletErrorCode = z.infer<typeof WalletErrorCodeSchema>;

/** A wallet failure with a code the UI can act on and a sentence for the user. Messages never contain secrets. */
export class WalletError extends Error {
  constructor(
    readonly code: WalletErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'WalletError';
  }
}

export type WalletResult<T> = { ok: true; value: T } | { ok: false; error: { code: WalletErrorCode | 'INTERNAL'; message: string } };

/**
 * For command handlers: a WalletError becomes coded data. Anything else is a bug whose message might quote
 * library internals, so only a generic sentence crosses the boundary.
 */
export async function walletResult<T>(work: Promise<T>, logger: Logger): Promise<WalletResult<T>> {
  try {
    return { ok: true, value: await work };
  } catch (error) {
    if (error instanceof WalletError) return { ok: false, error: { code: error.code, message: error.message } };
    // ethers redacts keys and phrases from its own messages; our code never puts them in one.
    logger.error(`wallet: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
    return { ok: false, error: { code: 'INTERNAL', message: 'The wallet hit an unexpected error; details are in the log.' } };
  }
}
