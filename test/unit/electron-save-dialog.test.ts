// The desktop app's backup saver, driven through a fake of Electron's dialog (no binary here).
import assert from 'node:assert/strict';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import type { BaseWindow, Dialog, SaveDialogOptions, SaveDialogReturnValue } from 'electron';
import { dialogBackupSaver } from '../../main/electron/save-dialog.js';
import { tempDir } from '../helpers/fakes.js';

/** Records how the dialog was asked for and answers what the user "chose". */
function fakeDialog(answer: SaveDialogReturnValue) {
  const asked: { parent: BaseWindow | undefined; options: SaveDialogOptions }[] = [];
  const dialog = {
    showSaveDialog: async (...args: [BaseWindow, SaveDialogOptions] | [SaveDialogOptions]) => {
      asked.push(args.length === 2 ? { parent: args[0], options: args[1] } : { parent: undefined, options: args[0] });
      return answer;
    },
  } as Pick<Dialog, 'showSaveDialog'>;
  return { dialog, asked };
}

test('the backup is written where the user chose, over the app window, readable by the user only', { timeout: 60_000 }, async () => {
  const dir = await tempDir('synor-save-');
  const chosen = join(dir, 'wallet.json');
  const { dialog, asked } = fakeDialog({ canceled: false, filePath: chosen });
  const window = { id: 1 } as unknown as BaseWindow;
  const path = await dialogBackupSaver(dialog, () => window)('synor-wallet-0xabc.json', '{"version":3}');
  assert.equal(path, chosen, 'the message names the full path chosen');
  assert.equal(await readFile(chosen, 'utf8'), '{"version":3}');
  assert.equal((await stat(chosen)).mode & 0o777, 0o600);
  assert.deepEqual(await readdir(dir), ['wallet.json'], 'no temp file left beside it');
  assert.equal(asked[0]?.parent, window);
  assert.equal(asked[0]?.options.defaultPath, 'synor-wallet-0xabc.json', 'a bare name: the app picks no folder for the user');
});

test('closing the dialog writes nothing; without a window the dialog still opens', { timeout: 60_000 }, async () => {
  const { dialog, asked } = fakeDialog({ canceled: true, filePath: '' });
  assert.equal(await dialogBackupSaver(dialog, () => undefined)('synor-wallet-0xabc.json', '{}'), null);
  assert.equal(asked.length, 1);
  assert.equal(asked[0]?.parent, undefined);
});
