import { lstat, readFile } from 'node:fs/promises';
import { z } from 'zod';
import { errnoCode } from '../../common/errno.js';

/**
 * What `agent.lock` holds: the owner's pid, when it took the lock, where that pid's process started (Linux; so a
 * later process given the same pid is not taken for the owner) and, once its server listens, the link to open.
 */
export const LockSchema = z.object({
  pid: z.number().int().positive(),
  startedAt: z.number(),
  processStart: z.object({ boot: z.string().max(64), ticks: z.number().int().nonnegative() }).optional(),
  url: z.string().max(2048).optional(),
});
export type LockInfo = z.infer<typeof LockSchema>;

/** A lock file is a few hundred bytes; anything far larger is not one (and is not read whole). */
const MAX_LOCK_BYTES = 64 * 1024;

/**
 * The lock as found: missing (undefined), `damaged` (not a plain file — a directory, a fifo, a link —, too large or
 * unreadable: it can only be set aside), or its text with the lock it holds (none when torn or not a lock).
 */
export async function readLock(file: string): Promise<{ text: string; info: LockInfo | undefined } | 'damaged' | undefined> {
  let text: string;
  try {
    // lstat first: reading a fifo would wait forever, and a link may point anywhere.
    const found = await lstat(file);
    if (!found.isFile() || found.size > MAX_LOCK_BYTES) return 'damaged';
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT') return undefined;
    // Not ours to read (another user's file, a directory swapped in meanwhile); anything else is not about this file.
    if (code === 'EACCES' || code === 'EPERM' || code === 'EISDIR') return 'damaged';
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = LockSchema.safeParse(json);
  return { text, info: parsed.success ? parsed.data : undefined };
}
