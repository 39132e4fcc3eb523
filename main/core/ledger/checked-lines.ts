import type { Result } from '../../common/result.js';
import { decodeRecord } from '../fs/checksummed-log.js';
import { fileLines } from '../fs/lines.js';
import { LedgerRecordSchema, type LedgerRecord } from './record.js';
import type { ReceiptProblem } from '../receipts/receipts.js';
import type { LineCheck } from './trust.js';

/** A ledger line read back: its text, where it ends, the record (or why it does not read back) and why it fails. */
export interface CheckedLine {
  text: string;
  end: number;
  decoded: Result<LedgerRecord, 'DAMAGED_LINE'>;
  /** Why the check refuses the record, or null (also for a line that does not read back: that is `decoded`'s). */
  reason: ReceiptProblem | null;
}

/** Lines asked about together; a run shorter than this is checked one line at a time (not worth a worker's start). */
const BATCH = 512;
const MANY_FROM = 64;

/**
 * The lines of `file` after byte `start`, in order, each decoded and checked by `check`. Long runs are checked in
 * batches through `check.many`, the next batch read and decoded while the one before is checked.
 */
export async function* checkedLines(file: string, start: number, check: LineCheck): AsyncGenerator<CheckedLine> {
  let batch: Omit<CheckedLine, 'reason'>[] = [];
  let asked: Promise<CheckedLine[]> | null = null;
  for await (const { text, end } of fileLines(file, start)) {
    batch.push({ text, end, decoded: decodeRecord(text, LedgerRecordSchema) });
    if (batch.length < BATCH) continue;
    const next = reasons(batch, check);
    // Awaited below, after the next batch is read: a failure must wait for it, not end the process meanwhile.
    next.catch(() => undefined);
    batch = [];
    if (asked) yield* await asked;
    asked = next;
  }
  if (asked) yield* await asked;
  yield* await reasons(batch, check);
}

async function reasons(batch: Omit<CheckedLine, 'reason'>[], check: LineCheck): Promise<CheckedLine[]> {
  const records = batch.flatMap((line) => (line.decoded.ok ? [line.decoded.value] : []));
  const answers = check.many && records.length >= MANY_FROM ? await check.many(records) : records.map((r) => check(r));
  let next = 0;
  // eslint-disable-next-line @typescript-eslint/no-non-null-assertion -- one answer per decoded line, in their order
  return batch.map((line) => ({ ...line, reason: line.decoded.ok ? answers[next++]! : null }));
}
