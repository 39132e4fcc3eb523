import { createReadStream } from 'node:fs';
import { copyFile, mkdir, readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import type { EpochBundle } from '../../common/protocol.js';
import { errorText } from '../../common/result.js';
import { SerialQueue } from '../../common/serial.js';
import { replaceFileAtomic, writeFileAtomic } from '../fs/atomic.js';
import { decodeRecord, encodeRecord, LogAppender, type LogOpenReport } from '../fs/checksummed-log.js';
import { diskRefusal, type DiskRefusal } from '../fs/disk-refusal.js';
import { fileLines } from '../fs/lines.js';
import type { Logger } from '../ports.js';
import { cutTornTail } from '../fs/torn-tail.js';
import { checkedLines } from './checked-lines.js';
import { ReceiptDetail, receiptsOf, type DamagedDetail } from './detail.js';
import { FileHash, HASH_ON_START, startsLine } from './file-hash.js';
import type { LedgerSource } from './source.js';
import { LedgerRecordSchema, type LedgerRecord, type Submitted } from './record.js';
import { recountAgrees } from './recount.js';
import { LedgerTotals, TotalsJsonSchema } from './totals.js';
import type { LineCheck } from './trust.js';

export type { LedgerSource } from './source.js';
export type { LedgerRecord } from './record.js';

/**
 * The single source of earnings history: a checksummed append-only log (fs/checksummed-log.ts) of signed epochs, one
 * line a minute of work whatever the number of tasks, and beside it `<ledger>.index`, what the checked part of the log
 * adds up to (ledger/totals.ts). A start reads the index and checks only the lines written after it, so opening and
 * every earnings query cost the same after a year as after a day. Per-receipt detail, which proves each task against
 * its epoch, lives in `<ledger>.detail/` for a window of days (ledger/detail.ts).
 */

/** The ledger no longer holds the lines its index counted (emptied, cut or replaced): the earlier index is kept aside. */
export interface ReplacedReport {
  recordsBefore: number;
  recordsNow: number;
  indexKeptIn: string;
}

/** Lines that failed the check at load: moved out of the ledger into `keptIn`, each with its reason. */
export interface SetAsideReport {
  count: number;
  keptIn: string;
  reasons: string[];
}

const ProblemSchema = z.object({ line: z.number().int(), message: z.string().max(500) }).strict();
/** `<ledger>.index`: how many bytes of the ledger were checked, their sha256, and what they add up to. */
const IndexSchema = z
  .object({
    /** 3: sums per network (an index of 2 is not read: the lines are counted again, once). */
    version: z.literal(3),
    bytes: z.number().int().nonnegative(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    lines: z.number().int().nonnegative(),
    problems: z.array(ProblemSchema).max(100),
    totals: TotalsJsonSchema,
  })
  .strict();
type Index = z.infer<typeof IndexSchema>;
/** The index as kept after open: its sums live on in the ledger's totals, not twice. */
type Seal = Omit<Index, 'totals'> & { totals?: undefined };
const INDEX_EVERY = 500;
/** How often a check tells how far it got: every 256 KiB of lines (about 300 epochs, a fraction of a second). */
const PROGRESS_BYTES = 256 * 1024;
/** Told how many bytes of the file a check has read, of how many. */
export type Progress = (checkedBytes: number, totalBytes: number) => void;

export class Ledger {
  private totals = new LedgerTotals();
  /** Every read or write of the file and its sums runs here: one at a time, in call order. */
  private readonly turns = new SerialQueue();
  /** The running hash of the file since it was checked, and its lines; appends are checked before they are written. */
  private checked: { hash: FileHash; lines: number; sinceSaved: number } | null = null;
  /** Lines reach the file through here: a record the disk refuses (full) waits in memory, in order. */
  private readonly log: LogAppender;
  /** What the start's check was against, kept for a rebuild. */
  private problemOf: LineCheck | null = null;
  /** The start took its sums from the index: they are still to be recounted from the lines (auditIndex). */
  private unaudited = false;

  private constructor(
    readonly file: string,
    /** `repeated`: lines the last check found twice (an epoch written again), each counted once and kept as they are. */
    readonly report: LogOpenReport & { setAside?: SetAsideReport; replaced?: ReplacedReport; repeated?: number },
    private index: Seal | null,
    totals: LedgerTotals,
    /** Per-receipt detail for the window of days (proofs, the CSV's rows). */
    readonly detail: ReceiptDetail,
    private readonly logger: Logger | undefined,
  ) {
    this.totals = totals;
    this.log = new LogAppender(file, {
      written: (line) => {
        // eslint-disable-next-line @typescript-eslint/no-non-null-assertion -- lines are written only once open() has set the check state
        const state = this.checked!;
        state.hash.update(line);
        state.lines++;
      },
    });
  }

  /**
   * Reads the index and cuts off (keeping it aside) a torn last line; the lines are read by `verify`. Receipt detail is
   * kept for `detailDays()` whole days before today; its lines that do not read back are told to `damaged`.
   */
  static async open(
    file: string,
    now: () => number = Date.now,
    detailDays: () => number = () => 7,
    logger?: Logger,
    damaged?: DamagedDetail,
  ): Promise<Ledger> {
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    const tornTail = await cutTornTail(file, now(), (line) => decodeRecord(line, LedgerRecordSchema).ok);
    const index = await readFile(`${file}.index`, 'utf8').then(
      (text) => {
        const decoded = decodeRecord(text.trimEnd(), IndexSchema);
        return decoded.ok ? decoded.value : null;
      },
      // An index that cannot be read is as none: verify() then checks every line.
      () => null,
    );
    const detail = new ReceiptDetail(`${file}.detail`, detailDays, logger, damaged);
    if (!index) return new Ledger(file, { tornTail, problems: [] }, null, new LedgerTotals(), detail, logger);
    const { totals, ...seal } = index;
    return new Ledger(file, { tornTail, problems: seal.problems }, seal, LedgerTotals.fromJSON(totals), detail, logger);
  }

  /**
   * Checks every line written since the index against `problemOf` (signature, device, amounts) and counts the good
   * ones. When the checked part no longer hashes as the index says (edited, or no index), every line is checked
   * again (past HASH_ON_START that part is hashed in the background, and `auditIndex` checks again). Lines that fail are never counted: they move, with their reasons, to `<ledger>.set-aside-<time>`, and the
   * ledger is rewritten without them (other lines, damaged ones included, stay byte for byte).
   */
  verify(problemOf: LineCheck, now: number, progress?: Progress): Promise<SetAsideReport | null> {
    return this.turns.run(() => this.check(problemOf, now, progress));
  }

  /** `distrust`: the index is not taken even where it still seems to fit (the part it vouches for did not hash as it said). */
  private async check(
    problemOf: LineCheck,
    now: number,
    progress: Progress = () => undefined,
    distrust = false,
  ): Promise<SetAsideReport | null> {
    this.problemOf = problemOf;
    // No file yet is an empty ledger; any other error shows when the lines are read.
    const size = (await stat(this.file).catch(() => undefined))?.size ?? 0;
    const taken = distrust ? null : await this.indexTaken(size);
    const index = taken ? this.index : null;
    const hash = taken ?? (await FileHash.of(this.file, 0));
    // Nothing is appended before this check, so the totals are still the index's own; a recount keeps the pending
    // results, which only the index holds.
    const totals = index ? this.totals : new LedgerTotals();
    if (!index) totals.keepPending(this.totals);
    const problems = index ? [...index.problems] : [];
    const start = index?.bytes ?? 0;
    let lines = index?.lines ?? 0;
    let repeated = 0;
    const bad: { line: string; reason: string; end: number }[] = [];
    let told = start;
    progress(start, size);
    for await (const { text, end, decoded, reason } of checkedLines(this.file, start, problemOf)) {
      if (end - told >= PROGRESS_BYTES) progress((told = end), size);
      if (reason) {
        bad.push({ line: text, reason: reason.message, end });
        continue;
      }
      lines++;
      hash.update(`${text}\n`);
      if (!decoded.ok) problems.push({ line: lines, message: decoded.error.message });
      else if (totals.isNew(decoded.value)) totals.add(decoded.value);
      else repeated++;
    }
    // A recount has the epochs' sums only: the newest receipts (the list shown, the throughput) come from the detail kept.
    if (!index) {
      for await (const line of this.detail.lines())
        if (!totals.isNew({ kind: 'epoch', ...line })) totals.remember(receiptsOf(line), line.source);
    }
    progress(size, size);
    this.totals = totals;
    this.report.problems = problems.slice(0, 100);
    this.report.repeated = repeated;
    if (this.index && !index) await this.noteReplaced(this.index, lines - problems.length, now);
    this.unaudited = index !== null;
    let report: SetAsideReport | null = null;
    if (bad.length) {
      const keptIn = `${this.file}.set-aside-${now}`;
      await writeFileAtomic(keptIn, bad.map((b) => `${JSON.stringify({ reason: b.reason })}\n${b.line}\n`).join(''));
      await dropLines(this.file, start, new Set(bad.map((b) => b.end)));
      report = { count: bad.length, keptIn, reasons: [...new Set(bad.map((b) => b.reason))].slice(0, 5) };
      this.report.setAside = report;
    }
    this.checked = { hash, lines, sinceSaved: 0 };
    // A start with nothing new leaves the index as it is; one taken on trust is written once its part is hashed.
    if (hash.known && (!index || hash.bytes > start || report)) await this.writeIndex();
    return report;
  }

  /**
   * The hash the index's part of the file continues from, when the index still fits the file: as long or shorter,
   * ending on a line's end, and (when small enough to hash now) hashing as it says; otherwise null.
   */
  private async indexTaken(size: number): Promise<FileHash | null> {
    const index = this.index;
    if (!index || index.bytes > size || !(await startsLine(this.file, index.bytes))) return null;
    if (index.bytes > HASH_ON_START) return FileHash.trusted(this.file, index.bytes, index.sha256);
    const hash = await FileHash.of(this.file, index.bytes);
    return (await hash.digest())?.sha256 === index.sha256 ? hash : null;
  }

  /** Says so when fewer good lines are left than the index counted, keeping that index beside the ledger. */
  private async noteReplaced(was: Seal, recordsNow: number, now: number): Promise<void> {
    const recordsBefore = was.lines - was.problems.length;
    if (recordsNow >= recordsBefore) return;
    const indexKeptIn = `${this.file}.index.bad-${now}`;
    await this.keepIndex(indexKeptIn);
    this.report.replaced = { recordsBefore, recordsNow, indexKeptIn };
  }

  /**
   * Counts again, in the background, the lines whose sums the start took from the index, and compares the two: an
   * index whose sums were changed (its checksum recomputed to match) is caught here and rebuilt from the lines, each
   * checked again as at a first start. True when it was rebuilt. The sums and the file's length are taken together, in
   * turn with appends; the lines are then read while new ones may be appended after them.
   */
  async auditIndex(now: number): Promise<boolean> {
    const problemOf = this.problemOf;
    if (!this.unaudited || !problemOf) return false;
    this.unaudited = false;
    const due = await this.turns.run(async () => {
      await this.log.append();
      const checked = this.checked;
      return checked && this.log.heldCount() === 0 ? { end: checked.hash.bytes, sums: this.totals.sums(), hash: checked.hash } : null;
    });
    if (!due) return false;
    // The part of the file a large index vouched for was taken on trust at the start: it is hashed by now.
    if (!(await due.hash.agrees)) {
      await this.turns.run(() => this.check(problemOf, now, undefined, true));
      return true;
    }
    if (await recountAgrees(this.file, due.end, due.sums)) return false;
    await this.turns.run(async () => {
      await this.keepIndex(`${this.file}.index.bad-${now}`);
      this.index = null;
      await this.check(problemOf, now);
    });
    return true;
  }

  /**
   * Writes the records held in memory, then what the checked part of the file adds up to (also on close, so the next
   * start reads only what is new).
   */
  saveCheckpoint(): Promise<void> {
    return this.turns.run(async () => {
      await this.log.append();
      await this.detail.writeHeld();
      await this.writeIndex();
    });
  }

  /** Tries again to write the records the disk refused (also done before every append). */
  writeHeld(): Promise<void> {
    return this.turns.run(async () => {
      await this.log.append();
      await this.detail.writeHeld();
    });
  }

  /** Why records are held in memory (the disk's last refusal), or null when every record is on disk. */
  heldBecause(): DiskRefusal | null {
    return this.log.heldBecause();
  }

  heldCount(): number {
    return this.log.heldCount();
  }

  private async writeIndex(): Promise<void> {
    // The sums count held records, which the file does not have yet: an index now would count them on the next start.
    const checked = this.checked;
    if (!checked || this.log.heldCount() > 0) return;
    // Taken on trust and not hashing as the index said: no index over it (the audit checks every line again).
    const hashed = await checked.hash.digest();
    if (hashed === null || this.checked !== checked || this.log.heldCount() > 0) return;
    checked.sinceSaved = 0;
    this.totals.compact();
    const index: Index = {
      version: 3,
      ...hashed,
      lines: checked.lines,
      problems: this.report.problems.slice(0, 100),
      totals: this.totals.toJSON(),
    };
    try {
      await writeFileAtomic(`${this.file}.index`, encodeRecord(index));
    } catch (error) {
      // Only a shortcut for the next start (which then checks more lines): a full disk must not stop the ledger.
      if (diskRefusal(error) !== null) return;
      throw error;
    }
    this.index = { ...index, totals: undefined };
  }

  /**
   * Appends an epoch (its line fsynced, its receipts to the detail files) and counts it; an epoch already present is
   * skipped: false. Only after `verify`: before it, the lines since the index are not counted yet, so a repeat of one
   * of them would not be seen. A line the disk refuses is counted all the same and held in memory (`heldBecause`),
   * written before the next one or at `writeHeld`; it is lost only if the app stops before there is room.
   */
  appendEpoch(at: number, source: LedgerSource, bundle: EpochBundle): Promise<boolean> {
    return this.turns.run(async () => {
      const { receipts, ...signed } = bundle;
      const line = LedgerRecordSchema.parse({ kind: 'epoch', at, source, signed });
      if (!this.checked) throw new Error('ledger: append before verify');
      if (!this.totals.isNew(line)) return false;
      // Detail first: a crash between the two leaves detail without its line, and the epoch is fetched again.
      await this.detail.append(at, source, bundle);
      this.totals.add(line, receipts);
      await this.log.append(encodeRecord(line));
      this.changed();
      return true;
    });
  }

  /**
   * Counts a result the coordinator acknowledged as pending until its receipt comes; false if it is already pending
   * or settled. Kept in the index only: a crash can forget a pending figure, never a receipt.
   */
  submitted(entry: Submitted): Promise<boolean> {
    return this.turns.run(async () => {
      if (!this.checked) throw new Error('ledger: append before verify');
      if (!this.totals.isNewSubmission(entry)) return false;
      this.totals.addSubmission(entry);
      this.changed();
      return true;
    });
  }

  private changed(): void {
    // eslint-disable-next-line @typescript-eslint/no-non-null-assertion -- called for a written line, as above
    if (++this.checked!.sinceSaved < INDEX_EVERY) return;
    void this.writeIndex().catch((error: unknown) =>
      this.logger?.error(`ledger: the index could not be saved (${errorText(error)}); the next start checks more lines`),
    );
  }

  /** Keeps a copy of an index about to be replaced, for whoever looks into why; the ledger goes on without it. */
  private async keepIndex(as: string): Promise<void> {
    await copyFile(`${this.file}.index`, as).catch((error: unknown) =>
      this.logger?.warn(`ledger: the replaced index could not be kept as ${as} (${errorText(error)})`),
    );
  }

  /** What the ledger adds up to: earnings by slot, pending results, the newest receipts. */
  get sums(): LedgerTotals {
    return this.totals;
  }

  /** Every epoch line in the file, oldest first, read as it goes (for exports and claims: the history may be large). */
  async *records(): AsyncGenerator<LedgerRecord> {
    // After the appends asked before, never failing with them.
    await this.turns.run(() => undefined);
    for await (const { text } of fileLines(this.file)) {
      const decoded = decodeRecord(text, LedgerRecordSchema);
      if (decoded.ok) yield decoded.value;
    }
  }
}

/** Removes the lines after byte `start` that end at the offsets in `drop`; the file is replaced whole, atomically. */
function dropLines(file: string, start: number, drop: ReadonlySet<number>): Promise<void> {
  return replaceFileAtomic(file, async (handle) => {
    if (start > 0) for await (const chunk of createReadStream(file, { end: start - 1 })) await handle.write(chunk);
    let batch = '';
    for await (const { text, end } of fileLines(file, start)) {
      if (!drop.has(end)) batch += `${text}\n`;
      if (batch.length < 1 << 20) continue;
      await handle.write(batch);
      batch = '';
    }
    await handle.write(batch);
  });
}
