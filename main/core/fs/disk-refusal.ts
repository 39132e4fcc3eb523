const FULL = 'the disk is full';
const TOO_MANY_OPEN = 'too many files are open at once';

const WORDS: Record<string, string> = {
  ENOSPC: FULL,
  EDQUOT: FULL,
  // The process's or the system's limit on open files, not the disk: a flood of connections or a leak.
  EMFILE: TOO_MANY_OPEN,
  ENFILE: TOO_MANY_OPEN,
  EACCES: 'the data folder cannot be written (no permission)',
  EPERM: 'the data folder cannot be written (no permission)',
  EROFS: 'the disk is read-only',
};

/**
 * Words for why a write was refused (full, read-only, no permission, too many files open), or null when the error is
 * not a refusal (then it is a bug and is thrown on). A refusal is not a crash: what could not be written is held in
 * memory and written once it can be (the outbox, the ledger, the activity log).
 */
export function diskRefusal(error: unknown): string | null {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  // Node's own ERR_* codes are misuse, not the disk.
  if (typeof code !== 'string' || code.startsWith('ERR_')) return null;
  return WORDS[code] ?? 'the data folder cannot be written';
}

/** What the user can do about a refusal `diskRefusal` named, as a sentence. */
export function refusalAdvice(why: string): string {
  if (why === FULL) return 'Free some disk space to go on.';
  if (why === TOO_MANY_OPEN) {
    return 'Another program may be opening many connections to the agent; close it. The agent tries again by itself.';
  }
  return 'Check that the data folder can be written; the agent tries again by itself.';
}
