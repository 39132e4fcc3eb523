import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { byText } from '../../common/text.js';
import { ReceiptSchema, ResourceTypeSchema, SignedEpochSchema, type Epoch, type EpochBundle, type Receipt } from '../../common/protocol.js';
import { decodeRecord, encodeRecord, LogAppender } from '../fs/checksummed-log.js';
import { fileLines } from '../fs/lines.js';
import { cutTornTail } from '../fs/torn-tail.js';
import { errorText } from '../../common/result.js';
import type { Logger } from '../ports.js';
import { dayLinesHolding, idsFile, packDay } from './detail-index.js';
import { LedgerSourceSchema, type LedgerSource } from './source.js';

/**
 * Per-receipt detail, kept for a window of days: one checksummed line per epoch (its signature and every receipt it
 * covers, in a compact row form), in one file per UTC day, packed with gzip once the day is over and deleted once it
 * leaves the window. Each line proves its receipts on its own (the root rebuilt from the rows, the signature over it).
 * The earnings themselves never depend on it: the ledger's epoch lines carry the sums.
 */

const Uint = z.string().regex(/^[0-9]{1,78}$/);
const Int = z.string().regex(/^-?[0-9]{1,78}$/);
const n = z.number().int().nonnegative();
/** A receipt without what its epoch already says (device, owner), in ReceiptSchema's field order. */
const RowSchema = z.tuple([
  z.string(),
  n,
  z.string(),
  ResourceTypeSchema,
  z.enum(['verified', 'unverified', 'rejected']),
  Uint,
  n,
  n,
  n,
  Uint,
  Int,
  Uint,
  Uint,
  n,
]);
type Row = z.infer<typeof RowSchema>;
const DetailLineSchema = z
  .object({ at: z.number().int(), source: LedgerSourceSchema, signed: SignedEpochSchema, rows: z.array(RowSchema).min(1).max(4096) })
  .strict();
export type DetailLine = z.infer<typeof DetailLineSchema>;

/** The fields of a row, in RowSchema's order. */
const ROW_FIELDS = [
  'receiptId',
  'seq',
  'taskId',
  'resourceType',
  'status',
  'units',
  'durationMs',
  'uptimeBp',
  'reputation',
  'baseWei',
  'reputationBonusWei',
  'uptimeBonusWei',
  'totalWei',
  'issuedAt',
] as const satisfies readonly (keyof Receipt)[];
// eslint-disable-next-line @typescript-eslint/consistent-type-assertions -- ROW_FIELDS lists Row's columns in Row's order
const toRow = (r: Receipt): Row => ROW_FIELDS.map((field) => r[field]) as Row;

/** The line's receipts, whole again (parsed: rows are a file read back). */
export function receiptsOf(line: DetailLine): Receipt[] {
  const { deviceId, owner } = line.signed.epoch;
  return line.rows.map((row) =>
    ReceiptSchema.parse({ deviceId, owner, ...Object.fromEntries(ROW_FIELDS.map((field, i) => [field, row[i]])) }),
  );
}

const DAY = 86_400_000;
/** An epoch's identity in one ledger: its coordinator, device and first receipt. */
export const epochKey = (coordinator: string, e: Pick<Epoch, 'deviceId' | 'firstSeq'>): string =>
  `${coordinator.toLowerCase()}\n${e.deviceId}\n${e.firstSeq}`;

/** The UTC day whose file holds the detail appended at `at`. */
export const dayName = (at: number): string => new Date(at).toISOString().slice(0, 10);
const DAY_FILE = /^(\d{4}-\d{2}-\d{2})\.jsonl(\.gz)?$/;

/** Told of lines of a day file that do not read back (damaged or edited): how many, and the file that keeps them. */
export type DamagedDetail = (count: number, file: string) => void;

export class ReceiptDetail {
  private appender: LogAppender | null = null;
  /** The damaged lines already told (file and offset), so each is told once however often the detail is read. */
  private readonly told = new Set<string>();

  constructor(
    readonly dir: string,
    /** Whole UTC days of detail kept before today (asked at each new day's first line). */
    private readonly days: () => number,
    private readonly logger?: Logger,
    private readonly damaged?: DamagedDetail,
  ) {}

  /** Appends an epoch's detail to its day's file (held in memory while the disk is full, like the ledger's lines). */
  async append(at: number, source: LedgerSource, bundle: EpochBundle): Promise<void> {
    const file = join(this.dir, `${dayName(at)}.jsonl`);
    if (this.appender?.file !== file) {
      await this.appender?.append();
      this.appender = new LogAppender(file, { maxHeld: 256 });
      // Housekeeping must never hold earnings back: a failure is logged, and the lines go on (or wait) as usual.
      await this.openDay(file, at).catch((error: unknown) =>
        this.logger?.warn(`receipt detail: ${errorText(error)}; earnings are not affected`),
      );
    }
    const { receipts, ...signed } = bundle;
    await this.appender.append(encodeRecord({ at, source, signed, rows: receipts.map(toRow) } satisfies DetailLine));
  }

  private async openDay(file: string, at: number): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    // A line a crash cut short would swallow the next one (an epoch fetched again after the crash).
    await cutTornTail(file, at, (text) => decodeRecord(text, DetailLineSchema).ok);
    await this.tidy(at);
  }

  /** Writes the lines the disk refused earlier, if there is room now. */
  async writeHeld(): Promise<void> {
    await this.appender?.append();
  }

  /** Lines given up while the disk was full (their epochs' earnings are in the ledger all the same). */
  dropped(): number {
    return this.appender?.dropped() ?? 0;
  }

  /** Packs the files of days before `now`'s and deletes those older than the window. */
  async tidy(now: number): Promise<void> {
    const today = dayName(now);
    const oldest = dayName(now - this.days() * DAY);
    const names = await readdir(this.dir).catch((): string[] => []);
    // A pack cut short by a crash.
    for (const name of names) if (name.endsWith('.tmp')) await rm(join(this.dir, name), { force: true });
    for (const { name, day, packed, stale } of await this.files()) {
      const path = join(this.dir, name);
      if (day < oldest || stale) {
        await rm(path, { force: true });
        if (packed) await rm(idsFile(path), { force: true });
      } else if (!packed && day < today) await packDay(path);
    }
  }

  /** The day files, oldest first; `stale`: an unpacked file whose packed copy is whole (a crash after packing). */
  private async files(): Promise<{ name: string; day: string; packed: boolean; stale: boolean }[]> {
    const names = await readdir(this.dir).catch((): string[] => []);
    const found = names.flatMap((name) => {
      const m = DAY_FILE.exec(name);
      return m ? [{ name, day: m[1] ?? '', packed: Boolean(m[2]) }] : [];
    });
    const packedDays = new Set(found.filter((f) => f.packed).map((f) => f.day));
    return found.map((f) => ({ ...f, stale: !f.packed && packedDays.has(f.day) })).sort((a, b) => byText(a.day, b.day));
  }

  /** The days that have a detail file. */
  async keptDays(): Promise<Set<string>> {
    return new Set((await this.files()).map((f) => f.day));
  }

  /**
   * The detail line holding the task or receipt `id` (the oldest, should two), or null: each day is searched through
   * its id table or as bytes, and only lines holding the id are read back.
   */
  async lineWith(id: string, holds: (line: DetailLine) => boolean): Promise<DetailLine | null> {
    await this.writeHeld();
    for (const { name, stale } of await this.files()) {
      if (stale) continue;
      for await (const text of dayLinesHolding(join(this.dir, name), id)) {
        const decoded = decodeRecord(text, DetailLineSchema);
        if (decoded.ok && holds(decoded.value)) return decoded.value;
      }
    }
    return null;
  }

  /**
   * Every epoch's detail line, oldest day first, each epoch once: one fetched again after a crash may have been
   * written twice. A line that does not read back (damaged) is skipped, and told (once) to `damaged`; the file keeps it.
   */
  async *lines(): AsyncGenerator<DetailLine> {
    await this.writeHeld();
    const seen = new Set<string>();
    for (const { name, stale } of await this.files()) {
      if (stale) continue;
      const path = join(this.dir, name);
      let bad = 0;
      for await (const { text, end } of fileLines(path)) {
        const decoded = decodeRecord(text, DetailLineSchema);
        if (!decoded.ok) {
          if (!this.told.has(`${name}:${end}`)) bad++;
          this.told.add(`${name}:${end}`);
          continue;
        }
        const key = epochKey(decoded.value.source.coordinator, decoded.value.signed.epoch);
        if (seen.has(key)) continue;
        seen.add(key);
        yield decoded.value;
      }
      if (bad === 0) continue;
      this.logger?.warn(`receipt detail: ${bad} line(s) of ${path} do not read back and are skipped; the file keeps them`);
      this.damaged?.(bad, path);
    }
  }
}
