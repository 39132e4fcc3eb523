import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { Address, SignedReceiptSchema } from '../../common/protocol.js';
import { appendRecord, decodeRecord, openLog, type LogOpenReport, type LogProblem } from '../fs/checksummed-log.js';

/** The single source of earnings history: a checksummed append-only log (fs/checksummed-log.ts). */

const Source = z.object({ url: z.string().max(2048), devnet: z.boolean(), coordinator: Address }).strict();
export type LedgerSource = z.infer<typeof Source>;

export const LedgerRecordSchema = z.discriminatedUnion('kind', [
  /** The coordinator acknowledged a result; its reward is pending until the receipt arrives. */
  z
    .object({
      kind: z.literal('submitted'),
      at: z.number().int(),
      source: Source,
      taskId: z.string().min(1).max(128),
      deviceId: z.string().min(1).max(128),
      estimateWei: z.string().regex(/^[0-9]{1,78}$/),
    })
    .strict(),
  /** A receipt whose coordinator signature was verified before it was written. */
  z.object({ kind: z.literal('receipt'), at: z.number().int(), source: Source, signed: SignedReceiptSchema }).strict(),
]);
export type LedgerRecord = z.infer<typeof LedgerRecordSchema>;

/** Receipts are unique per coordinator by id; a submission per network, device and task. */
const recordKey = (r: LedgerRecord): string =>
  r.kind === 'receipt'
    ? `receipt\n${r.source.coordinator}\n${r.signed.receipt.receiptId}`
    : `submitted\n${r.source.url}\n${r.deviceId}\n${r.taskId}`;

export class Ledger {
  private readonly records: LedgerRecord[] = [];
  private readonly keys = new Set<string>();
  private appends: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly file: string,
    readonly report: LogOpenReport,
  ) {}

  /** Reads the ledger, cutting off (and keeping aside) a torn last line. */
  static async open(file: string, now: () => number = Date.now): Promise<Ledger> {
    const { records, report } = await openLog(file, LedgerRecordSchema, now);
    const ledger = new Ledger(file, report);
    for (const record of records) ledger.remember(record);
    return ledger;
  }

  private remember(record: LedgerRecord): void {
    if (this.has(record)) return;
    this.keys.add(recordKey(record));
    this.records.push(record);
  }

  has(record: LedgerRecord): boolean {
    return this.keys.has(recordKey(record));
  }

  /** Appends and fsyncs; a record already present (same receipt id, or same submitted task) is skipped: false. */
  append(record: LedgerRecord): Promise<boolean> {
    const run = this.appends.then(async () => {
      const checked = LedgerRecordSchema.parse(record);
      if (this.has(checked)) return false;
      await appendRecord(this.file, checked);
      this.remember(checked);
      return true;
    });
    this.appends = run.catch(() => undefined);
    return run;
  }

  all(): readonly LedgerRecord[] {
    return this.records;
  }
}

export interface VerifyReport {
  ok: boolean;
  records: number;
  problems: LogProblem[];
}

/**
 * Re-reads the file and checks every line: checksum, schema, no duplicate receipt, and (through `checkReceipt`)
 * each receipt's signature. Read-only: a torn tail is reported, not cut.
 */
export async function verifyLedgerFile(
  file: string,
  checkReceipt: (record: Extract<LedgerRecord, { kind: 'receipt' }>) => string | null,
): Promise<VerifyReport> {
  const text = await readFile(file, 'utf8');
  const problems: LogProblem[] = [];
  const seen = new Set<string>();
  const lines = text.split('\n');
  if (lines.at(-1) !== '') problems.push({ line: lines.length, message: 'torn last line' });
  let records = 0;
  lines.slice(0, -1).forEach((line, index) => {
    const decoded = decodeRecord(line, LedgerRecordSchema);
    if (typeof decoded === 'string') return problems.push({ line: index + 1, message: decoded });
    records++;
    const key = recordKey(decoded);
    if (seen.has(key)) problems.push({ line: index + 1, message: 'duplicate record' });
    seen.add(key);
    const bad = decoded.kind === 'receipt' ? checkReceipt(decoded) : null;
    if (bad) problems.push({ line: index + 1, message: bad });
    return undefined;
  });
  return { ok: problems.length === 0, records, problems };
}
