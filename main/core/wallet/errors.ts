import type { WalletErrorCode } from '../../common/wallet.js';
import type { Logger } from '../ports.js';

export type { WalletErrorCode };

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
