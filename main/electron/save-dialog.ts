import type { BaseWindow, Dialog, SaveDialogOptions } from 'electron';
import { writeFileAtomic } from '../core/fs/atomic.js';
import type { BackupSaver } from '../core/ports.js';

/**
 * The desktop app's wallet backups go where the user chooses, through the system's save dialog over the app's
 * window: never to a folder picked (or created) for them. Written whole or not at all, readable by the user only.
 */
export function dialogBackupSaver(dialog: Pick<Dialog, 'showSaveDialog'>, window: () => BaseWindow | undefined): BackupSaver {
  return async (fileName, json) => {
    const options: SaveDialogOptions = {
      title: 'Save your wallet backup',
      // A bare name: the dialog opens in the folder the system suggests and the user picks where it goes.
      defaultPath: fileName,
      buttonLabel: 'Save backup',
      filters: [{ name: 'Wallet backup', extensions: ['json'] }],
      properties: ['createDirectory', 'showOverwriteConfirmation'],
    };
    const owner = window();
    const chosen = owner ? await dialog.showSaveDialog(owner, options) : await dialog.showSaveDialog(options);
    if (chosen.canceled || !chosen.filePath) return null;
    await writeFileAtomic(chosen.filePath, json);
    return chosen.filePath;
  };
}
