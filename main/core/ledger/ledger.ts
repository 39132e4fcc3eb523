import { createHash } from 'node:crypto';
import { mkdir, open, readFile, truncate } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { Address, SignedReceiptSchema } from '../../common/protocol.js';
import { writeFileAtomic } from '../fs/atomic.js';

/**
 * The single source of earnings history: one record per line, `<sha256 of the JSON> <JSON>\n`, appended and
 * fsynced, never rewritten. Only a torn last line (a crash mid-append) is ever cut off, and its bytes are kept
 * aside first.
 */

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

export interface LedgerProblem {
  line: number;
  message: string;
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
const encode = (record: LedgerRecord): string => {
  const json = JSON.stringify(record);
  return `${sha256(json)} ${json}\n`;
};

function decode(line: string): LedgerRecord | string {
  const space = line.indexOf(' ');
  if (space !== 64) return 'no checksum';
  const json = line.slice(65);
  if (sha256(json) !== line.slice(0, 64)) return 'checksum mismatch';
  try {
    const parsed = LedgerRecordSchema.safeParse(JSON.parse(json));
    return parsed.success ? parsed.data : `not a ledger record (${parsed.error.issues[0]?.message ?? 'invalid'})`;
  } catch {
    return 'not JSON';
  }
}

/** Receipts are unique per coordinator by id; a submission per network, device and task. */
const recordKey = (r: LedgerRecord): string =>
  r.kind === 'receipt'
    ? `receipt\n${r.source.coordinator}\n${r.signed.receipt.receiptId}`
    : `submitted\n${r.source.url}\n${r.deviceId}\n${r.taskId}`;

export interface LedgerOpenReport {
  /** A torn last line that was cut off, and where its bytes were kept. */
  tornTail: { bytes: number; keptIn: string } | null;
  /** Damaged lines before the last one: kept in the file untouched, skipped in queries. */
  problems: LedgerProblem[];
}

export class Ledger {
  private readonly records: LedgerRecord[] = [];
  private readonly keys = new Set<string>();
  private appends: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly file: string,
    readonly report: LedgerOpenReport,
  ) {}

  /** Reads the ledger, cutting off (and keeping aside) a torn last line. */
  static async open(file: string, now: () => number = Date.now): Promise<Ledger> {
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return '';
      throw error;
    });
    const scan = scanLines(text);
    let tornTail: LedgerOpenReport['tornTail'] = null;
    if (scan.goodLength < text.length) {
      const tail = text.slice(scan.goodLength);
      const keptIn = `${file}.torn-${now()}`;
      await writeFileAtomic(keptIn, tail);
      await truncate(file, Buffer.byteLength(text.slice(0, scan.goodLength)));
      tornTail = { bytes: Buffer.byteLength(tail), keptIn };
    }
    const ledger = new Ledger(file, { tornTail, problems: scan.problems });
    for (const record of scan.records) ledger.remember(record);
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
      const handle = await open(this.file, 'a', 0o600);
      try {
        await handle.write(encode(checked));
        await handle.sync();
      } finally {
        await handle.close();
      }
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

interface Scan {
  records: LedgerRecord[];
  problems: LedgerProblem[];
  /** Length of the text up to the end of the last line worth keeping. */
  goodLength: number;
}

function scanLines(text: string): Scan {
  const records: LedgerRecord[] = [];
  const problems: LedgerProblem[] = [];
  let offset = 0;
  let goodLength = 0;
  let lineNo = 0;
  while (offset < text.length) {
    lineNo++;
    const end = text.indexOf('\n', offset);
    if (end === -1) break; // unterminated: a torn append
    const decoded = decode(text.slice(offset, end));
    const isLast = end + 1 === text.length;
    if (typeof decoded === 'string') {
      if (isLast) break; // a damaged last line is a torn append too
      problems.push({ line: lineNo, message: decoded });
    } else {
      records.push(decoded);
    }
    offset = end + 1;
    goodLength = offset;
  }
  return { records, problems, goodLength };
}

export interface VerifyReport {
  ok: boolean;
  records: number;
  problems: LedgerProblem[];
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
  const problems: LedgerProblem[] = [];
  const seen = new Set<string>();
  const lines = text.split('\n');
  if (lines.at(-1) !== '') problems.push({ line: lines.length, message: 'torn last line' });
  let records = 0;
  lines.slice(0, -1).forEach((line, index) => {
    const decoded = decode(line);
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
