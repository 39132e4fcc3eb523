import { CodedError, resultOf } from '../../common/coded-error.js';
import type { Failure, Result } from '../../common/result.js';
import type { WalletErrorCode } from '../../common/wallet.js';
import type { Logger } from '../ports.js';

export type { WalletErrorCode };

/** A wallet failure with a code the UI can act on and a sentence for the user. Messages never contain secrets. */
export class WalletError extends CodedError<WalletErrorCode> {
  override name = 'WalletError';
}

/**
 * What the wallet's callers say of an error that is not a WalletError: a bug whose message might quote library
 * internals, so it goes to the log and only a generic sentence crosses the boundary.
 */
export const unexpectedWalletError =
  (logger: Logger) =>
  (error: unknown): Failure<'INTERNAL'> => {
    // ethers redacts keys and phrases from its own messages; our code never puts them in one.
    logger.error(`wallet: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
    return { code: 'INTERNAL', message: 'The wallet hit an unexpected error; details are in the log.' };
  };

/** For command handlers: a WalletError becomes coded data, anything else `unexpectedWalletError`. */
export const walletResult = <T>(work: Promise<T>, logger: Logger): Promise<Result<T, WalletErrorCode | 'INTERNAL'>> =>
  resultOf(work, [WalletError], unexpectedWalletError(logger));
