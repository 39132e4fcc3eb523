import { randomBytes } from 'node:crypto';
import * as nodeFs from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { errnoCode } from '../../common/errno.js';
import { decodeFrame, encodeFrame, frameLengths, parseHeader } from '../../common/frame.js';
import { errorText, fail, ok, type Result } from '../../common/result.js';
import { SerialQueue } from '../../common/serial.js';
import { TaskResultSchema, TensorSchema, withOwnBytes } from '../../common/task.js';
import { replaceFileAtomic, writeParts, type FilePort } from '../fs/atomic.js';
import { diskRefusal, type DiskRefusal } from '../fs/disk-refusal.js';

/**
 * Finished results waiting to be submitted, written (fsynced) before the first submit attempt and removed only after
 * the coordinator acknowledged them: a crash or kill -9 at any point loses nothing. A result that cannot be written
 * (disk full) is held in memory instead, submitted from there, and written once there is room.
 *
 * Results kept close together (a micro-batch ends, two hosts finish at once) are group-committed: one file holds the
 * group, written with one fsync of it and one of the folder for them all, and each `put` resolves only once those
 * returned. The file goes once every result in it was sent.
 *
 * A result is a frame (common/frame.ts) of an entry, and a group's file those frames one after another: output
 * tensors are raw bytes after a small JSON header, so a 4 MB result is written, read and sent without base64 or JSON,
 * and listing the queue reads only the headers (of files an earlier run wrote: this run knows its own).
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

/** Sent groups' files kept to be written over: two cover a group being written while the one before is sent. */
const SPARES = 2;
const SPARE = 'spare-';
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

/** The file calls the outbox makes: Node's, or a test's that counts fsyncs or stops before one. */
export type OutboxFiles = FilePort & Pick<typeof nodeFs, 'readdir' | 'readFile'>;

/** A queued result on disk: its frame's place in its group's file. */
interface Place {
  file: string;
  at: number;
  size: number;
  queued: Queued;
}

/** A result waiting for its group's commit: told null once the group is on disk, else the disk's refusal. */
interface Waiting {
  entry: OutboxEntry;
  own: boolean;
  done: (why: DiskRefusal | null) => void;
  failed: (error: unknown) => void;
}

export class Outbox {
  private readonly held = new Map<string, { entry: OutboxEntry; why: DiskRefusal }>();
  /** Files of sent groups, to be written over by the next ones (replaceFileAtomic). */
  private readonly spare: string[] = [];
  private buffer = new Uint8Array(0);
  /** Queued results on disk by task id, and each group file's results not sent yet (the file goes with the last). */
  private readonly places = new Map<string, Place>();
  private readonly groups = new Map<string, Set<string>>();
  /** Results for the next group commit. Commits run one at a time: those kept while one runs make the next group. */
  private waiting: Waiting[] = [];
  private readonly commits = new SerialQueue();
  /** Version 1 files whose upgrade the disk refused, by task id: they go when their result is sent. */
  private readonly legacy = new Map<string, string>();

  constructor(
    readonly dir: string,
    private readonly fs: OutboxFiles = nodeFs,
  ) {}

  /** Keeps a result; its output bytes are written out and fsynced (or copied, when held) before this resolves. */
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

  /** Tries again to write the results held in memory, as one group; written, they leave memory. */
  async writeHeld(): Promise<void> {
    await Promise.all([...this.held.values()].map(({ entry }) => this.write(entry, false)));
  }

  /** The result is sent. Its group's file goes with the group's last result: kept as a spare, or removed. */
  async remove(taskId: string): Promise<void> {
    this.held.delete(taskId);
    const file = this.forget(taskId);
    if (file !== null) await this.retire(file);
    await this.dropLegacy(taskId);
  }

  /** A version 1 file goes once its result is written as a frame, or sent. */
  private async dropLegacy(taskId: string): Promise<void> {
    const old = this.legacy.get(taskId);
    this.legacy.delete(taskId);
    if (old !== undefined) await this.fs.rm(old, { force: true });
  }

  /**
   * The whole entry, with its output bytes (valid until the next read); a file that no longer reads as a group is set
   * aside (the message says so).
   */
  async read(item: Queued): Promise<Result<OutboxEntry, 'damaged' | 'gone'>> {
    const held = this.held.get(item.taskId);
    if (held) return ok(held.entry);
    const place = this.places.get(item.taskId);
    if (!place) return fail('gone', `the result of task ${item.taskId} is no longer queued`);
    try {
      return ok(OutboxEntrySchema.parse(decodeFrame(await this.readFrame(place))));
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return fail('gone', `${place.file} is gone`);
      return fail('damaged', await this.setAside(place.file, error));
    }
  }

  /**
   * Everything queued (on disk and held in memory), oldest first. Leftover temp files of an interrupted write are
   * ignored (the write never happened).
   */
  async list(): Promise<OutboxList> {
    await this.fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
    const entries: Queued[] = [];
    const problems: string[] = [];
    const unseen = new Set(this.groups.keys());
    for (const name of await this.fs.readdir(this.dir)) {
      const file = join(this.dir, name);
      // Left by an earlier run: used again, or removed when there are more than a run keeps.
      if (name.startsWith(SPARE) && !this.spare.includes(file))
        await (this.spare.length < SPARES ? this.spare.push(file) : this.fs.rm(file, { force: true }));
      if (!name.endsWith('.frame') && !name.endsWith('.json')) continue;
      unseen.delete(file);
      try {
        if (name.endsWith('.json')) entries.push(await this.upgrade(file));
        else entries.push(...(await this.groupOf(file)));
      } catch (error) {
        // Sent and removed since the folder was listed (a flush still finishing): nothing to set aside.
        if (errnoCode(error) === 'ENOENT') continue;
        problems.push(await this.setAside(file, error));
      }
    }
    // Removed by someone else, not sent: nothing of them is left to send.
    for (const file of unseen) this.drop(file);
    const onDisk = new Set(entries.map((e) => e.taskId));
    for (const { entry } of this.held.values()) if (!onDisk.has(entry.result.taskId)) entries.push(queued(entry));
    entries.sort((a, b) => a.finishedAt - b.finishedAt);
    return { entries, problems };
  }

  /**
   * The frame's bytes in the outbox's one read buffer, reused from read to read (so an entry's bytes last until the
   * next read): a fresh 4 MB buffer for every result cost ~1 ms more of page faults, and garbage collection after.
   */
  private async readFrame({ file, at, size }: Place): Promise<Uint8Array> {
    const handle = await this.fs.open(file, 'r');
    try {
      if (this.buffer.byteLength < size) this.buffer = new Uint8Array(size);
      return await readAt(handle, this.buffer.subarray(0, size), at);
    } finally {
      await handle.close();
    }
  }

  /** A group file's results not sent yet: known when this run wrote or read it, else read from its frames' headers. */
  private async groupOf(file: string): Promise<Queued[]> {
    const left = this.groups.get(file) ?? this.known(file, await readGroup(this.fs, file));
    return [...left].flatMap((taskId) => this.places.get(taskId)?.queued ?? []);
  }

  /** A group file's results, known from now on, unless they are already (listed while the commit that wrote it ended). */
  private known(file: string, frames: Omit<Place, 'file'>[]): Set<string> {
    const known = this.groups.get(file);
    if (known) return known;
    for (const frame of frames) this.places.set(frame.queued.taskId, { file, ...frame });
    const left = new Set(frames.map((frame) => frame.queued.taskId));
    this.groups.set(file, left);
    return left;
  }

  /** The result leaves its group; returns the group's file once no result in it is left to send. */
  private forget(taskId: string): string | null {
    const place = this.places.get(taskId);
    if (!place) return null;
    this.places.delete(taskId);
    const left = this.groups.get(place.file);
    left?.delete(taskId);
    if (left?.size !== 0) return null;
    this.groups.delete(place.file);
    return place.file;
  }

  /** A group file no longer read from: its results are no longer queued. */
  private drop(file: string): void {
    for (const taskId of this.groups.get(file) ?? []) this.places.delete(taskId);
    this.groups.delete(file);
  }

  /** A sent group's file: kept as a spare to be written over (at most SPARES of them), else removed. */
  private async retire(file: string): Promise<void> {
    const spare = join(this.dir, `${SPARE}${randomBytes(6).toString('hex')}`);
    const kept =
      this.spare.length < SPARES &&
      (await this.fs.rename(file, spare).then(
        () => true,
        () => false,
      ));
    if (kept) this.spare.push(spare);
    else await this.fs.rm(file, { force: true });
  }

  /** A group file that does not read as one is kept aside (never deleted), with every result in it. */
  private async setAside(file: string, error: unknown): Promise<string> {
    this.drop(file);
    const aside = `${file}.bad`;
    await this.fs.rename(file, aside);
    return `A queued result could not be read and was kept as ${aside}: ${errorText(error)}`;
  }

  /** A version 1 file (kept by an earlier version of the app) rewritten as a frame, so nothing queued is lost. */
  private async upgrade(file: string): Promise<Queued> {
    const old = LegacyEntrySchema.parse(JSON.parse(await this.fs.readFile(file, 'utf8')));
    const outputs = Object.entries(old.result.outputs).map(([name, t]) => {
      if (t.kind !== 'inline') throw new Error(`output ${name} is not inline`);
      return [name, { dtype: t.dtype, shape: t.shape, data: new Uint8Array(Buffer.from(t.data, 'base64')) }] as const;
    });
    const entry = OutboxEntrySchema.parse({ ...old, version: 2, result: { ...old.result, outputs: Object.fromEntries(outputs) } });
    // Kept until the upgrade is written: the disk may refuse it.
    if ((await this.write(entry, false)) === null) await this.fs.rm(file, { force: true });
    else this.legacy.set(entry.result.taskId, file);
    return queued(entry);
  }

  /**
   * null once written; else the disk's refusal, with the entry held in memory. `own`: the entry's bytes belong to the
   * caller (the scheduler reuses them), so an entry held in memory holds a copy.
   */
  private write(entry: OutboxEntry, own: boolean): Promise<DiskRefusal | null> {
    return new Promise((done, failed) => {
      // The first result to wait starts a commit; those that come before it starts are in its group.
      if (this.waiting.push({ entry, own, done, failed }) === 1) void this.commits.run(() => this.commit());
    });
  }

  /** Writes the results waiting as one group file: one fsync of the file and one of the folder for them all. */
  private async commit(): Promise<void> {
    const group = this.waiting;
    this.waiting = [];
    const file = join(this.dir, `${randomBytes(16).toString('hex')}.frame`);
    try {
      const frames = group.map(({ entry }) => encodeFrame(entry));
      await replaceFileAtomic(file, (handle) => writeParts(handle, frames.flat()), this.spare.pop(), this.fs);
      let at = 0;
      const placed = group.map(({ entry }, i) => {
        const size = (frames[i] ?? []).reduce((n, part) => n + part.byteLength, 0);
        at += size;
        return { at: at - size, size, queued: queued(entry) };
      });
      this.known(file, placed);
    } catch (error) {
      const why = diskRefusal(error);
      if (why === null) return group.forEach(({ failed }) => failed(error));
      for (const { entry, own } of group)
        this.held.set(entry.result.taskId, { entry: own ? { ...entry, result: withOwnBytes(entry.result) } : entry, why });
      return group.forEach(({ done }) => done(why));
    }
    for (const { entry } of group) {
      this.held.delete(entry.result.taskId);
      // Left, it is upgraded again at the next listing: sent twice at worst, and answered duplicate.
      if (this.legacy.has(entry.result.taskId)) await this.dropLegacy(entry.result.taskId).catch(() => undefined);
    }
    group.forEach(({ done }) => done(null));
  }
}

/** Fills `into` from the file at `position`; a file that ends first is damaged. */
async function readAt(handle: FileHandle, into: Uint8Array, position: number): Promise<Uint8Array> {
  for (let at = 0; at < into.byteLength;) {
    const { bytesRead } = await handle.read(into, at, into.byteLength - at, position + at);
    if (bytesRead === 0) throw new Error(`the file ends at ${position + at} of ${position + into.byteLength} bytes`);
    at += bytesRead;
  }
  return into;
}

/** A group file's frames, from their headers alone: each says how long it is, and the last must end with the file. */
async function readGroup(fs: OutboxFiles, file: string): Promise<Omit<Place, 'file'>[]> {
  const handle = await fs.open(file, 'r');
  try {
    const { size } = await handle.stat();
    if (size === 0) throw new Error('the file is empty');
    const frames: Omit<Place, 'file'>[] = [];
    for (let at = 0; at < size;) {
      const lengths = frameLengths(await readAt(handle, new Uint8Array(8), at));
      const end = at + 8 + lengths.head + lengths.payload;
      if (end > size) throw new Error(`the file is ${size} bytes, its header says ${end}`);
      const head = await readAt(handle, new Uint8Array(lengths.head), at + 8);
      frames.push({ at, size: end - at, queued: QueuedSchema.parse(parseHeader(head)) });
      at = end;
    }
    return frames;
  } finally {
    await handle.close();
  }
}
