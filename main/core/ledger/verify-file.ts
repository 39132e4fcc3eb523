import { stat } from 'node:fs/promises';
import type { LogProblem } from '../fs/checksummed-log.js';
import { decodeRecord } from '../fs/checksummed-log.js';
import { fileLines } from '../fs/lines.js';
import { bundleProblem, epochProblem, type ReceiptExpectation } from '../receipts/receipts.js';
import { dayName, epochKey, ReceiptDetail, receiptsOf } from './detail.js';
import { LedgerRecordSchema } from './record.js';
import { LedgerTotals } from './totals.js';

export interface VerifyReport {
  ok: boolean;
  records: number;
  problems: LogProblem[];
}

/**
 * Re-reads the file and checks every line: checksum, schema, no duplicate epoch, each epoch's signature, and that an
 * epoch written on a day whose detail is kept is in it; and every detail line: its receipts add up, leaf for leaf, to
 * the root and sums its coordinator signed. Read-only: a torn tail is reported, not cut.
 */
export async function verifyLedgerFile(file: string, expect: ReceiptExpectation): Promise<VerifyReport> {
  const problems: LogProblem[] = [];
  const detail = new ReceiptDetail(`${file}.detail`, () => Infinity);
  const detailed = new Set<string>();
  for await (const d of detail.lines()) {
    detailed.add(epochKey(d.source.coordinator, d.signed.epoch));
    const bad = bundleProblem({ ...d.signed, receipts: receiptsOf(d) }, expect);
    if (bad) problems.push({ line: 0, message: `detail: ${bad.message}` });
  }
  const keptDays = await detail.keptDays();
  const totals = new LedgerTotals();
  let records = 0;
  let line = 0;
  let end = 0;
  for await (const next of fileLines(file)) {
    line++;
    end = next.end;
    const read = decodeRecord(next.text, LedgerRecordSchema);
    if (!read.ok) {
      problems.push({ line, message: read.error.message });
      continue;
    }
    const decoded = read.value;
    records++;
    if (!totals.isNew(decoded)) problems.push({ line, message: 'duplicate epoch' });
    else totals.add(decoded);
    const bad = epochProblem(decoded.signed, expect);
    if (bad) problems.push({ line, message: bad.message });
    const { firstSeq, lastSeq } = decoded.signed.epoch;
    if (keptDays.has(dayName(decoded.at)) && !detailed.has(epochKey(decoded.source.coordinator, decoded.signed.epoch))) {
      problems.push({ line, message: `epoch ${firstSeq}–${lastSeq}: its receipts are missing from the detail` });
    }
  }
  if ((await stat(file)).size > end) problems.push({ line: line + 1, message: 'torn last line' });
  return { ok: problems.length === 0, records, problems };
}
