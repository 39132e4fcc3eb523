import { createHash, type Hash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { Address, SignedReceiptSchema } from '../../common/protocol.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { appendLine, decodeRecord, encodeRecord, openLog, type LogOpenReport, type LogProblem } from '../fs/checksummed-log.js';

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

/** Lines that failed the check at load: moved out of the ledger into `keptIn`, each with its reason. */
export interface SetAsideReport {
  count: number;
  keptIn: string;
  reasons: string[];
}

/** `<ledger>.checked`: the length and hash of the part of the file already checked, so a start checks only what came after. */
const CheckpointSchema = z.object({ bytes: z.number().int().nonnegative(), sha256: z.string().regex(/^[0-9a-f]{64}$/) }).strict();
const CHECKPOINT_EVERY = 500;

export class Ledger {
  private records: LedgerRecord[] = [];
  private keys = new Set<string>();
  private appends: Promise<unknown> = Promise.resolve();
  /** The running hash of the file since it was checked; appends are checked before they are written. */
  private checked: { hash: Hash; bytes: number; sinceSaved: number } | null = null;

  private constructor(
    readonly file: string,
    readonly report: LogOpenReport & { setAside?: SetAsideReport },
  ) {}

  /** Reads the ledger, cutting off (and keeping aside) a torn last line. */
  static async open(file: string, now: () => number = Date.now): Promise<Ledger> {
    const { records, report } = await openLog(file, LedgerRecordSchema, now);
    const ledger = new Ledger(file, report);
    for (const record of records) ledger.remember(record);
    return ledger;
  }

  /**
   * Checks every line written since the last check against `problemOf` (signature, device, amounts). Lines that
   * fail are never counted: they move, with their reasons, to `<ledger>.set-aside-<time>`, and the ledger is
   * rewritten without them (other lines, damaged ones included, stay byte for byte).
   */
  async verify(problemOf: (record: LedgerRecord) => string | null, now: number): Promise<SetAsideReport | null> {
    await this.appends;
    const buffer = await readFile(this.file).catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? Buffer.alloc(0) : Promise.reject(error)));
    const checkpoint = await readFile(`${this.file}.checked`, 'utf8').then(
      (text) => CheckpointSchema.safeParse(JSON.parse(text)).data,
      () => undefined,
    );
    let hash = createHash('sha256');
    let start = 0;
    if (checkpoint && checkpoint.bytes <= buffer.length) {
      hash.update(buffer.subarray(0, checkpoint.bytes));
      if (hash.copy().digest('hex') === checkpoint.sha256) start = checkpoint.bytes;
      else hash = createHash('sha256');
    }
    const kept: string[] = [];
    const bad: { line: string; reason: string }[] = [];
    for (const line of buffer.subarray(start).toString('utf8').split('\n').slice(0, -1)) {
      const decoded = decodeRecord(line, LedgerRecordSchema);
      const reason = typeof decoded === 'string' ? null : problemOf(decoded);
      if (reason) bad.push({ line, reason });
      else kept.push(`${line}\n`);
    }
    let report: SetAsideReport | null = null;
    let text = kept.join('');
    if (bad.length) {
      const keptIn = `${this.file}.set-aside-${now}`;
      await writeFileAtomic(keptIn, bad.map((b) => `${JSON.stringify({ reason: b.reason })}\n${b.line}\n`).join(''));
      text = buffer.subarray(0, start).toString('utf8') + text;
      await writeFileAtomic(this.file, text);
      [this.records, this.keys] = [[], new Set()];
      for (const record of (await openLog(this.file, LedgerRecordSchema, () => now)).records) this.remember(record);
      report = { count: bad.length, keptIn, reasons: [...new Set(bad.map((b) => b.reason))].slice(0, 5) };
      this.report.setAside = report;
      this.checked = { hash: createHash('sha256').update(text), bytes: Buffer.byteLength(text), sinceSaved: 0 };
    } else {
      this.checked = { hash: hash.update(buffer.subarray(start)), bytes: buffer.length, sinceSaved: 0 };
    }
    await this.saveCheckpoint();
    return report;
  }

  /** Records how much of the file is checked (also on close, so the next start checks only what is new). */
  async saveCheckpoint(): Promise<void> {
    await this.appends;
    if (!this.checked) return;
    this.checked.sinceSaved = 0;
    await writeFileAtomic(`${this.file}.checked`, JSON.stringify({ bytes: this.checked.bytes, sha256: this.checked.hash.copy().digest('hex') }));
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
      const line = encodeRecord(checked);
      await appendLine(this.file, line);
      this.remember(checked);
      if (this.checked) {
        this.checked.hash.update(line);
        this.checked.bytes += Buffer.byteLength(line);
        if (++this.checked.sinceSaved >= CHECKPOINT_EVERY) void this.saveCheckpoint().catch(() => undefined);
      }
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
