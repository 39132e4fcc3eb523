import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { decodeFrame, encodeFrame, frameLengths, parseHeader } from '../../common/frame.js';
import { errorText, fail, ok, type Result } from '../../common/result.js';
import { TaskResultSchema, TensorSchema, withOwnBytes } from '../../common/task.js';
import { replaceFileAtomic, writeParts } from '../fs/atomic.js';
import { diskRefusal, type DiskRefusal } from '../fs/disk-refusal.js';
import { errnoCode } from '../../common/errno.js';

/**
 * Finished results waiting to be submitted, one file each, written (fsynced) before the first submit attempt and
 * removed only after the coordinator acknowledged them: a crash or kill -9 at any point loses nothing. A result that
 * cannot be written (disk full) is held in memory instead, submitted from there, and written once there is room.
 *
 * Each file is a frame (common/frame.ts) of an entry: its output tensors are raw bytes after a small JSON header, so a
 * 4 MB result is written, read and sent without base64 or JSON, and listing the queue reads only the headers.
 */
const Meta = {
  url: z.string(),
  deviceId: z.string(),
  leaseId: z.string(),
  /** The task's reward estimate in wei: shown as pending until the receipt comes. */
  estimateWei: z.string().regex(/^[0-9]{1,78}$/),
  finishedAt: z.number(),
};
export const OutboxEntrySchema = z.object({ version: z.literal(2), ...Meta, result: TaskResultSchema }).strict();
export type OutboxEntry = z.infer<typeof OutboxEntrySchema>;

/** An entry as listed: its header, without the output bytes (read when it is sent). */
const QueuedSchema = z
  .object({ version: z.literal(2), ...Meta, result: z.object({ taskId: z.string() }) })
  .transform(({ result, version: _, ...meta }) => ({ ...meta, taskId: result.taskId }));
export type Queued = z.infer<typeof QueuedSchema>;

/** Results queued before version 2 (base64 outputs in JSON): read once, rewritten as frames. */
const LegacyEntrySchema = z
  .object({
    version: z.literal(1),
    ...Meta,
    result: TaskResultSchema.extend({ outputs: z.record(z.string(), TensorSchema) }),
  })
  .strict();

/** Sent results' files kept to be written over: two cover a result being written while the one before is sent. */
const SPARES = 2;
const SPARE = 'spare-';
const fileName = (taskId: string): string => `${createHash('sha256').update(taskId).digest('hex').slice(0, 32)}.frame`;
const queued = ({ result, version: _, ...meta }: OutboxEntry): Queued => ({ ...meta, taskId: result.taskId });

/** What the user is told of queued results that could not be read back. */
export const damagedNotice = (n: number): string =>
  `${n === 1 ? 'A finished result waiting to be sent was' : `${n} finished results waiting to be sent were`} damaged and cannot be ` +
  `sent; ${n === 1 ? 'it was' : 'they were'} kept in the outbox folder with the ending .bad. Nothing else is needed from you.`;

export interface OutboxList {
  entries: Queued[];
  /** Files that could not be read back; moved aside (never deleted) with this message. */
  problems: string[];
}

/** Kept: on disk, or in memory while the disk refuses it (`heldBecause`). Refused: not a valid result. */
export type PutOutcome = Result<true, 'invalid'>;

export class Outbox {
  private readonly held = new Map<string, { entry: OutboxEntry; why: DiskRefusal }>();
  /** Files of sent results, to be written over by the next ones (replaceFileAtomic). */
  private readonly spare: string[] = [];
  private buffer = new Uint8Array(0);

  constructor(readonly dir: string) {}

  /** Keeps a result; its output bytes are written out (or copied, when held) before this resolves. */
  async put(entry: OutboxEntry): Promise<PutOutcome> {
    const parsed = OutboxEntrySchema.safeParse(entry);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return fail('invalid', `its ${issue?.path.join('.') || 'content'} is not valid (${issue?.message ?? 'invalid'})`);
    }
    await this.write(parsed.data, true);
    return ok(true);
  }

  /** Why results are held in memory (the last disk error), or null when every result is on disk. */
  heldBecause(): DiskRefusal | null {
    return [...this.held.values()].at(-1)?.why ?? null;
  }

  heldCount(): number {
    return this.held.size;
  }

  /** Tries again to write the results held in memory; those that fit leave memory. */
  async writeHeld(): Promise<void> {
    for (const { entry } of [...this.held.values()]) if ((await this.write(entry, false)) !== null) return;
  }

  /** The result is sent: its file stays as a spare for a next result to be written over (at most SPARES of them). */
  async remove(taskId: string): Promise<void> {
    this.held.delete(taskId);
    const file = this.path(taskId);
    const spare = join(this.dir, `${SPARE}${randomBytes(6).toString('hex')}`);
    if (
      this.spare.length < SPARES &&
      (await rename(file, spare).then(
        () => true,
        () => false,
      ))
    )
      this.spare.push(spare);
    // A version 1 file stays until its upgrade is written (the disk may have refused it).
    for (const gone of [file, file.replace(/\.frame$/, '.json')]) await rm(gone, { force: true });
  }

  /**
   * The whole entry, with its output bytes (valid until the next read); a file that no longer reads as one is set
   * aside (the message says so).
   */
  async read(item: Queued): Promise<Result<OutboxEntry, 'damaged' | 'gone'>> {
    const held = this.held.get(item.taskId);
    if (held) return ok(held.entry);
    const file = this.path(item.taskId);
    try {
      return ok(OutboxEntrySchema.parse(decodeFrame(await this.readWhole(file))));
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return fail('gone', `${file} is gone`);
      return fail('damaged', await this.setAside(file, error));
    }
  }

  /**
   * Everything queued (on disk and held in memory), oldest first, from the files' headers. Leftover temp files of an
   * interrupted write are ignored (the write never happened).
   */
  async list(): Promise<OutboxList> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const entries: Queued[] = [];
    const problems: string[] = [];
    for (const name of await readdir(this.dir)) {
      // Left by an earlier run: used again, or removed when there are more than a run keeps.
      const spare = join(this.dir, name);
      if (name.startsWith(SPARE) && !this.spare.includes(spare))
        await (this.spare.length < SPARES ? this.spare.push(spare) : rm(spare, { force: true }));
      if (!name.endsWith('.frame') && !name.endsWith('.json')) continue;
      const file = join(this.dir, name);
      try {
        entries.push(name.endsWith('.json') ? await this.upgrade(file) : await readQueued(file));
      } catch (error) {
        // Sent and removed since the folder was listed (a flush still finishing): nothing to set aside.
        if (errnoCode(error) === 'ENOENT') continue;
        problems.push(await this.setAside(file, error));
      }
    }
    const onDisk = new Set(entries.map((e) => e.taskId));
    for (const { entry } of this.held.values()) if (!onDisk.has(entry.result.taskId)) entries.push(queued(entry));
    entries.sort((a, b) => a.finishedAt - b.finishedAt);
    return { entries, problems };
  }

  /**
   * The file's bytes in the outbox's one read buffer, reused from read to read (so an entry's bytes last until the next
   * read): a fresh 4 MB buffer for every result cost ~1 ms more of page faults, and garbage collection after.
   */
  private async readWhole(file: string): Promise<Uint8Array> {
    const handle = await open(file, 'r');
    try {
      const { size } = await handle.stat();
      if (this.buffer.byteLength < size) this.buffer = new Uint8Array(size);
      const into = this.buffer.subarray(0, size);
      for (let at = 0; at < size;) {
        const { bytesRead } = await handle.read(into, at, size - at, at);
        if (bytesRead === 0) throw new Error(`the file ends at ${at} of ${size} bytes`);
        at += bytesRead;
      }
      return into;
    } finally {
      await handle.close();
    }
  }

  private path(taskId: string): string {
    return join(this.dir, fileName(taskId));
  }

  private async setAside(file: string, error: unknown): Promise<string> {
    const aside = `${file}.bad`;
    await rename(file, aside);
    return `A queued result could not be read and was kept as ${aside}: ${errorText(error)}`;
  }

  /** A version 1 file (kept by an earlier version of the app) rewritten as a frame, so nothing queued is lost. */
  private async upgrade(file: string): Promise<Queued> {
    const old = LegacyEntrySchema.parse(JSON.parse(await readFile(file, 'utf8')));
    const outputs = Object.entries(old.result.outputs).map(([name, t]) => {
      if (t.kind !== 'inline') throw new Error(`output ${name} is not inline`);
      return [name, { dtype: t.dtype, shape: t.shape, data: new Uint8Array(Buffer.from(t.data, 'base64')) }] as const;
    });
    const entry = OutboxEntrySchema.parse({ ...old, version: 2, result: { ...old.result, outputs: Object.fromEntries(outputs) } });
    if ((await this.write(entry, false)) === null) await rm(file, { force: true });
    return queued(entry);
  }

  /**
   * null once written; else the disk's refusal, with the entry held in memory. `own`: the entry's bytes belong to the
   * caller (the scheduler reuses them), so an entry held in memory holds a copy.
   */
  private async write(entry: OutboxEntry, own: boolean): Promise<DiskRefusal | null> {
    const taskId = entry.result.taskId;
    try {
      await replaceFileAtomic(this.path(taskId), (handle) => writeParts(handle, encodeFrame(entry)), this.spare.pop());
      this.held.delete(taskId);
      return null;
    } catch (error) {
      const why = diskRefusal(error);
      if (why === null) throw error;
      this.held.set(taskId, { entry: own ? { ...entry, result: withOwnBytes(entry.result) } : entry, why });
      return why;
    }
  }
}

/** The entry's header alone: the first 8 bytes say how long it is, and its size must match the file's. */
async function readQueued(file: string): Promise<Queued> {
  const handle = await open(file, 'r');
  try {
    const prefix = new Uint8Array(8);
    await handle.read(prefix, 0, 8, 0);
    const lengths = frameLengths(prefix);
    const { size } = await handle.stat();
    if (size !== 8 + lengths.head + lengths.payload)
      throw new Error(`the file is ${size} bytes, its header says ${8 + lengths.head + lengths.payload}`);
    const head = new Uint8Array(lengths.head);
    await handle.read(head, 0, lengths.head, 8);
    return QueuedSchema.parse(parseHeader(head));
  } finally {
    await handle.close();
  }
}
