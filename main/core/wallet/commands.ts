import type { z } from 'zod';
import type { Result } from '../../common/result.js';
import type { walletCommands, WalletCommandName } from '../../common/wallet.js';
import type { Logger } from '../ports.js';
import type { WalletController } from './controller.js';
import { walletResult, type WalletErrorCode } from './errors.js';

type WalletHandlers = {
  [C in WalletCommandName]: (
    args: z.output<(typeof walletCommands)[C]['args']>,
  ) => Promise<Result<z.output<(typeof walletCommands)[C]['result']>, WalletErrorCode | 'INTERNAL'>>;
};

/**
 * Handlers for walletCommands (args already parsed with their schemas). Each answers coded data, never throws,
 * and returns the refreshed wallet view where the command changed it.
 */
export function walletHandlers(controller: WalletController, logger: Logger): WalletHandlers {
  const wallet = controller.service;
  // A failure may have changed the wallet too (a key file found missing is set aside): every window hears of it.
  const thenView = (work: Promise<unknown>) =>
    work.then(
      () => controller.refresh(),
      (error: unknown) => {
        controller.publish();
        throw error;
      },
    );
  return {
    getWallet: () => walletResult(Promise.resolve(controller.view()), logger),
    walletCreate: (args) => walletResult(thenView(wallet.create(args)), logger),
    walletImport: (args) => walletResult(thenView(wallet.import(args)), logger),
    walletRevealPhrase: (args) => walletResult(wallet.revealRecoveryPhrase(args), logger),
    walletRequestConfirmation: async (args) => {
      const result = await walletResult(
        Promise.resolve().then(() => wallet.requestConfirmation(args)),
        logger,
      );
      controller.publish(); // every open window shows the pending request
      return result;
    },
    walletConfirmBackup: (args) => walletResult(thenView(wallet.confirmBackup(args)), logger),
    walletUnlock: (args) => walletResult(thenView(wallet.unlock(args)), logger),
    walletExport: (args) =>
      walletResult(
        wallet.exportKeystore(args).finally(() => controller.publish()),
        logger,
      ),
    walletChangePassphrase: (args) => walletResult(thenView(wallet.changePassphrase(args)), logger),
    walletRemove: (args) => walletResult(thenView(wallet.remove(args)), logger),
    walletClaim: () => walletResult(controller.claim(), logger),
  };
}
