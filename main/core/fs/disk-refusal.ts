import type { Failure } from '../../common/result.js';
import { errnoCode } from '../../common/errno.js';

/** Why the disk refused a write: a code the advice is chosen by, and words for the user. */
export type DiskRefusal = Failure<'DISK_FULL' | 'TOO_MANY_OPEN' | 'NO_PERMISSION' | 'READ_ONLY' | 'NOT_WRITABLE'>;

const FULL: DiskRefusal = { code: 'DISK_FULL', message: 'the disk is full' };
const TOO_MANY_OPEN: DiskRefusal = { code: 'TOO_MANY_OPEN', message: 'too many files are open at once' };
const NO_PERMISSION: DiskRefusal = { code: 'NO_PERMISSION', message: 'the data folder cannot be written (no permission)' };

const REFUSALS: Record<string, DiskRefusal> = {
  ENOSPC: FULL,
  EDQUOT: FULL,
  // The process's or the system's limit on open files, not the disk: a flood of connections or a leak.
  EMFILE: TOO_MANY_OPEN,
  ENFILE: TOO_MANY_OPEN,
  EACCES: NO_PERMISSION,
  EPERM: NO_PERMISSION,
  EROFS: { code: 'READ_ONLY', message: 'the disk is read-only' },
};

/**
 * Why a write was refused (full, read-only, no permission, too many files open), or null when the error is not a
 * refusal (then it is a bug and is thrown on). A refusal is not a crash: what could not be written is held in memory
 * and written once it can be (the outbox, the ledger, the activity log).
 */
export function diskRefusal(error: unknown): DiskRefusal | null {
  const code = errnoCode(error);
  // Node's own ERR_* codes are misuse, not the disk.
  if (typeof code !== 'string' || code.startsWith('ERR_')) return null;
  return REFUSALS[code] ?? { code: 'NOT_WRITABLE', message: 'the data folder cannot be written' };
}

/** What the user can do about a refusal, as a sentence. */
export function refusalAdvice(refusal: DiskRefusal): string {
  switch (refusal.code) {
    case 'DISK_FULL':
      return 'Free some disk space to go on.';
    case 'TOO_MANY_OPEN':
      return 'Another program may be opening many connections to the agent; close it. The agent tries again by itself.';
    case 'NO_PERMISSION':
    case 'READ_ONLY':
    case 'NOT_WRITABLE':
      return 'Check that the data folder can be written; the agent tries again by itself.';
  }
}
