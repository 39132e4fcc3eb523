import { sep } from 'node:path';
import { errnoCode } from '../common/errno.js';
import { fieldOf } from '../common/keys.js';
import type { Failure } from '../common/result.js';

const refused = (message: string): Failure<'STORAGE'> => ({ code: 'STORAGE', message });

/**
 * Why a start failed when the disk refuses the app's own folders (full, read-only, not ours, a file in the way),
 * with the sentence to show, or null when the error is not the disk's (a bug: thrown on, with its stack). Said in
 * the words of the folder concerned: the one of `folders` holding the failed path, else the first.
 */
export function startRefusal(error: unknown, folders: readonly [string, ...string[]]): Failure<'STORAGE'> | null {
  const code = errnoCode(error);
  const path = fieldOf(error, 'path');
  const folder = folders.find((dir) => typeof path === 'string' && (path === dir || path.startsWith(dir + sep))) ?? folders[0];
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return refused(`The disk holding ${folder} is full: free some space and start again.`);
    case 'EROFS':
      return refused(`The disk holding ${folder} is read-only: make it writable and start again.`);
    case 'EACCES':
    case 'EPERM':
      return refused(`Synor Contributor may not write in ${folder}: give your user account access to that folder and start again.`);
    // EEXIST: mkdir -p of a folder whose path is a file.
    case 'ENOTDIR':
    case 'EEXIST':
      return refused(`A file is in the way of the folder ${folder}: move that file elsewhere and start again.`);
    case undefined:
    default:
      return null;
  }
}
