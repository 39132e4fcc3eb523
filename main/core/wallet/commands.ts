import type { z } from 'zod';
import type { Result } from '../../common/result.js';
import type { BackupSaved, walletCommands, WalletCommandName, WalletInfo } from '../../common/wallet.js';
import type { Logger } from '../ports.js';
import type { WalletController } from './controller.js';
import { walletResult, type WalletErrorCode } from './errors.js';

type WalletHandlers = {
  [C in WalletCommandName]: (
    args: z.output<(typeof walletCommands)[C]['args']>,
  ) => Promise<Result<z.output<(typeof walletCommands)[C]['result']>, WalletErrorCode | 'INTERNAL'>>;
};

/** Where a backup went, for the activity log; nothing when the save window was closed. */
const backupWords = (saved: BackupSaved): string | null =>
  saved.to === 'file'
    ? `Wallet backup saved as ${saved.path}.`
    : saved.to === 'download'
      ? `Wallet backup handed to the browser to save as ${saved.fileName} (usually in the Downloads folder).`
      : null;

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
  // The scrypt progress bar goes once the step that showed it is over, whatever its outcome.
  const keyWork = <T>(work: Promise<T>): Promise<T> => work.finally(() => controller.keyWork(undefined));
  /** A step that went well, said in the activity log. */
  const told = <T>(work: Promise<T>, words: (value: T) => string | null): Promise<T> =>
    work.then((value) => {
      const said = words(value);
      if (said) controller.told(said);
      return value;
    });
  const address = (info: WalletInfo): string => (info.state === 'none' ? '' : info.address);
  return {
    getWallet: () => walletResult(Promise.resolve(controller.view()), logger),
    walletCreate: (args) =>
      walletResult(thenView(told(keyWork(wallet.create(args)), (info) => `Wallet created: ${address(info)}.`)), logger),
    walletImport: (args) =>
      walletResult(thenView(told(keyWork(wallet.import(args)), (info) => `Wallet imported: ${address(info)}.`)), logger),
    walletRevealPhrase: (args) => walletResult(keyWork(wallet.revealRecoveryPhrase(args)), logger),
    walletRequestConfirmation: async (args) => {
      const result = await walletResult(
        Promise.resolve().then(() => wallet.requestConfirmation(args)),
        logger,
      );
      controller.publish(); // every open window shows the pending request
      return result;
    },
    walletConfirmBackup: (args) =>
      walletResult(thenView(told(wallet.confirmBackup(args), () => 'Recovery phrase confirmed as written down.')), logger),
    walletUnlock: (args) => {
      const wasLocked = controller.service.info().state === 'locked';
      return walletResult(thenView(told(keyWork(wallet.unlock(args)), () => (wasLocked ? 'Wallet unlocked.' : null))), logger);
    },
    walletExport: (args) =>
      walletResult(
        told(keyWork(wallet.exportKeystore(args)), backupWords).finally(() => controller.publish()),
        logger,
      ),
    walletChangePassphrase: (args) =>
      walletResult(thenView(told(keyWork(wallet.changePassphrase(args)), () => 'Wallet passphrase changed.')), logger),
    walletRemove: (args) =>
      walletResult(thenView(told(keyWork(wallet.remove(args)), () => `Wallet ${args.address} removed from this computer.`)), logger),
    walletClaim: () => walletResult(controller.claim(), logger),
  };
}
