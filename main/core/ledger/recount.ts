import { z } from 'zod';
import { decodeRecord } from '../fs/checksummed-log.js';
import { fileLines } from '../fs/lines.js';
import { sameSums, type EpochSums } from './epoch-sums.js';
import type { LedgerRecord } from './record.js';
import { LedgerTotals } from './totals.js';

/**
 * Whether the lines of the first `end` bytes add up to `sums`. The lines' checksums are checked, as at a start, but not
 * their shape or signatures (that costs ~3× more, for every line, after every start): a line that is not what a check
 * passed makes the count disagree, and the rebuild that follows checks every line properly.
 */
export async function recountAgrees(file: string, end: number, sums: EpochSums): Promise<boolean> {
  const again = new LedgerTotals();
  try {
    for await (const line of fileLines(file)) {
      if (line.end > end) break;
      const record = decodeRecord(line.text, AsWritten);
      if (record.ok && again.isNew(record.value)) again.add(record.value);
    }
  } catch {
    return false;
  }
  return sameSums(again.sums(), sums);
}
const AsWritten = z.custom<LedgerRecord>((value) => typeof value === 'object' && value !== null);
