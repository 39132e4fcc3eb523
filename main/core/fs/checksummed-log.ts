/**
 * Append-only files of one record per line, `<sha256 of the JSON> <JSON>\n`, fsynced, never rewritten. Only a torn
 * last line (a crash mid-append) is ever cut off, and its bytes are kept aside first. The earnings ledger and the
 * activity log are both kept this way.
 */
import { createHash } from 'node:crypto';
import { mkdir, open, readFile, truncate } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { z } from 'zod';
import { errorText, fail, ok, type Result } from '../../common/result.js';
import { writeFileAtomic } from './atomic.js';
import { diskRefusal, type DiskRefusal } from './disk-refusal.js';

export interface LogProblem {
  line: number;
  message: string;
}

export interface LogOpenReport {
  /** A torn last line that was cut off, and where its bytes were kept. */
  tornTail: { bytes: number; keptIn: string } | null;
  /** Damaged lines before the last one: kept in the file untouched, skipped when reading. */
  problems: LogProblem[];
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

export const encodeRecord = (record: unknown): string => {
  const json = JSON.stringify(record);
  return `${sha256(json)} ${json}\n`;
};

/** The record on a line, or why the line is not one. */
export function decodeRecord<T>(line: string, schema: z.ZodType<T>): Result<T, 'DAMAGED_LINE'> {
  const space = line.indexOf(' ');
  if (space !== 64) return fail('DAMAGED_LINE', 'no checksum');
  const json = line.slice(65);
  if (sha256(json) !== line.slice(0, 64)) return fail('DAMAGED_LINE', 'checksum mismatch');
  try {
    const parsed = schema.safeParse(JSON.parse(json));
    return parsed.success ? ok(parsed.data) : fail('DAMAGED_LINE', `not a valid record (${parsed.error.issues[0]?.message ?? 'invalid'})`);
  } catch {
    return fail('DAMAGED_LINE', 'not JSON');
  }
}

function scanLines<T>(text: string, schema: z.ZodType<T>): { records: T[]; problems: LogProblem[]; goodLength: number } {
  const records: T[] = [];
  const problems: LogProblem[] = [];
  let offset = 0;
  let goodLength = 0;
  let lineNo = 0;
  while (offset < text.length) {
    lineNo++;
    const end = text.indexOf('\n', offset);
    if (end === -1) break; // unterminated: a torn append
    const decoded = decodeRecord(text.slice(offset, end), schema);
    const isLast = end + 1 === text.length;
    if (!decoded.ok) {
      if (isLast) break; // a damaged last line is a torn append too
      problems.push({ line: lineNo, message: decoded.error.message });
    } else {
      records.push(decoded.value);
    }
    offset = end + 1;
    goodLength = offset;
  }
  return { records, problems, goodLength };
}

/** Reads every record, cutting off (and keeping aside in `<file>.torn-<time>`) a torn last line. */
export async function openLog<T>(file: string, schema: z.ZodType<T>, now: () => number): Promise<{ records: T[]; report: LogOpenReport }> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return '';
    throw error;
  });
  const scan = scanLines(text, schema);
  let tornTail: LogOpenReport['tornTail'] = null;
  if (scan.goodLength < text.length) {
    const tail = text.slice(scan.goodLength);
    const keptIn = `${file}.torn-${now()}`;
    await writeFileAtomic(keptIn, tail);
    await truncate(file, Buffer.byteLength(text.slice(0, scan.goodLength)));
    tornTail = { bytes: Buffer.byteLength(tail), keptIn };
  }
  return { records: scan.records, report: { tornTail, problems: scan.problems } };
}

/**
 * Appends one encoded line and fsyncs it: the whole line, or nothing. A write the disk cut short (full) is cut off
 * again, so the next line does not follow half of this one.
 */
export async function appendLine(file: string, line: string): Promise<void> {
  const handle = await open(file, 'a', 0o600);
  try {
    const { size } = await handle.stat();
    try {
      await handle.writeFile(line); // unlike write(), goes on after a short write until every byte is out or refused
      await handle.sync();
    } catch (error) {
      await handle.truncate(size).catch(() => undefined);
      throw error;
    }
  } finally {
    await handle.close();
  }
}

/**
 * Appends lines to one log, in order. A line the disk refuses (full, not writable) is held in memory and written
 * before the next one, or at `append()` with no line: a full disk loses nothing while the process runs, writes
 * nothing out of order, and is one answer (`heldBecause`) instead of an error per line. Callers run one at a time.
 */
export class LogAppender {
  private readonly held: string[] = [];
  private why: DiskRefusal | null = null;
  private lost = 0;

  constructor(
    readonly file: string,
    private readonly options: { written?: (line: string) => void; maxHeld?: number } = {},
  ) {}

  /** Why lines are held in memory (the disk's last refusal), or null when every line is on disk. */
  heldBecause(): DiskRefusal | null {
    return this.why;
  }

  heldCount(): number {
    return this.held.length;
  }

  /** Lines given up since the start (the oldest held ones) to stay within `maxHeld`. */
  dropped(): number {
    return this.lost;
  }

  /** Writes what is held, then `line`: null once every line is on disk, else the disk's refusal (the rest is held). */
  async append(line?: string): Promise<DiskRefusal | null> {
    if (line !== undefined && this.held.push(line) > (this.options.maxHeld ?? Infinity)) {
      this.held.shift();
      this.lost++;
    }
    for (let next = this.held[0]; next !== undefined; next = this.held[0]) {
      try {
        await appendLine(this.file, next);
      } catch (error) {
        this.why = diskRefusal(error) ?? { code: 'NOT_WRITABLE', message: `it could not be written (${errorText(error)})` };
        return this.why;
      }
      this.held.shift();
      this.options.written?.(next);
    }
    this.why = null;
    return null;
  }
}

/** Appends one record and fsyncs it. */
export const appendRecord = (file: string, record: unknown): Promise<void> => appendLine(file, encodeRecord(record));
