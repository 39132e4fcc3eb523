import { fail, ok, type Result } from '../../common/result.js';
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

/**
 * For command handlers: a WalletError becomes coded data. Anything else is a bug whose message might quote
 * library internals, so only a generic sentence crosses the boundary.
 */
export async function walletResult<T>(work: Promise<T>, logger: Logger): Promise<Result<T, WalletErrorCode | 'INTERNAL'>> {
  try {
    return ok(await work);
  } catch (error) {
    if (error instanceof WalletError) return fail(error.code, error.message);
    // ethers redacts keys and phrases from its own messages; our code never puts them in one.
    logger.error(`wallet: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
    return fail('INTERNAL', 'The wallet hit an unexpected error; details are in the log.');
  }
}
