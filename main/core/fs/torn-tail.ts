import { open, stat, truncate } from 'node:fs/promises';
import { writeFileAtomic } from './atomic.js';
import type { LogOpenReport } from './checksummed-log.js';

/** The longest line a torn-tail check reads back from the end of the file. */
const TAIL_BYTES = 1 << 20;

/**
 * A crash mid-append leaves a last line without `\n`, or one `whole` does not accept (a bad checksum): it is cut off
 * and its bytes kept in `<file>.torn-<now>`, so the next append does not run on from half a line.
 */
export async function cutTornTail(file: string, now: number, whole: (line: string) => boolean): Promise<LogOpenReport['tornTail']> {
  const size = (await stat(file).catch(() => undefined))?.size ?? 0;
  if (size === 0) return null;
  const from = Math.max(0, size - TAIL_BYTES);
  const handle = await open(file, 'r');
  const tail = Buffer.alloc(size - from);
  try {
    await handle.read(tail, 0, tail.length, from);
  } finally {
    await handle.close();
  }
  const ended = tail.at(-1) === 10;
  const lastEnd = ended ? tail.length - 1 : tail.length;
  const lastStart = tail.lastIndexOf(10, lastEnd - 1) + 1;
  if (lastStart === 0 && from > 0) return null; // a line longer than any record: left for the line check
  if (ended && whole(tail.toString('utf8', lastStart, lastEnd))) return null;
  const keptIn = `${file}.torn-${now}`;
  await writeFileAtomic(keptIn, tail.toString('utf8', lastStart));
  await truncate(file, from + lastStart);
  return { bytes: tail.length - lastStart, keptIn };
}
