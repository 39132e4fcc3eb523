/**
 * Words for why the disk refused a write (full, read-only, no permission), or null when the error is not the disk's
 * (then it is a bug and is thrown on). A refusal is not a crash: what could not be written is held in memory and
 * written once there is room (the outbox, the ledger, the activity log).
 */
export function diskRefusal(error: unknown): string | null {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  // Node's own ERR_* codes are misuse, not the disk.
  if (typeof code !== 'string' || code.startsWith('ERR_')) return null;
  return code === 'ENOSPC' || code === 'EDQUOT' ? 'the disk is full' : `the data folder cannot be written (${code})`;
}
