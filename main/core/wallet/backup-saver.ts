import { errorText } from '../../common/result.js';
import type { BackupSaved } from '../../common/wallet.js';
import type { BackupSaver, Logger } from '../ports.js';
import { WalletError } from './errors.js';

/** Runs the save dialog: where the backup went, or that the user closed it; a failed write is said plainly. */
export async function saveBackupWith(save: BackupSaver, fileName: string, json: string, logger: Logger): Promise<BackupSaved> {
  let path: string | null;
  try {
    path = await save(fileName, json);
  } catch (error) {
    throw new WalletError('STORAGE', `The backup could not be saved there (${errorText(error)}). Choose another folder and try again.`);
  }
  if (path === null) return { to: 'cancelled' };
  logger.info('wallet: backup saved where the user chose');
  return { to: 'file', path };
}
