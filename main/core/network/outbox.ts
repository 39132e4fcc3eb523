import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { errorText, fail, ok, type Result } from '../../common/result.js';
import { TaskResultSchema } from '../../common/task.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { diskRefusal } from '../fs/disk-refusal.js';

/**
 * Finished results waiting to be submitted, one file each, written (fsynced) before the first submit attempt and
 * removed only after the coordinator acknowledged them: a crash or kill -9 at any point loses nothing. A result that
 * cannot be written (disk full) is held in memory instead, submitted from there, and written once there is room.
 */
export const OutboxEntrySchema = z
  .object({
    version: z.literal(1),
    url: z.string(),
    deviceId: z.string(),
    leaseId: z.string(),
    result: TaskResultSchema,
    /** The task's reward estimate in wei: shown as pending until the receipt comes. */
    estimateWei: z.string().regex(/^[0-9]{1,78}$/),
    finishedAt: z.number(),
  })
  .strict();
export type OutboxEntry = z.infer<typeof OutboxEntrySchema>;

const fileName = (taskId: string): string => `${createHash('sha256').update(taskId).digest('hex').slice(0, 32)}.json`;

export interface OutboxLoad {
  entries: OutboxEntry[];
  /** Files that could not be read back; moved aside (never deleted) with this message. */
  problems: string[];
}

/** Kept: on disk, or in memory while the disk refuses it (`heldBecause`). Refused: not a valid result. */
export type PutOutcome = Result<true, 'invalid'>;

export class Outbox {
  private readonly held = new Map<string, { entry: OutboxEntry; why: string }>();

  constructor(readonly dir: string) {}

  async put(entry: OutboxEntry): Promise<PutOutcome> {
    const parsed = OutboxEntrySchema.safeParse(entry);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return fail('invalid', `its ${issue?.path.join('.') || 'content'} is not valid (${issue?.message ?? 'invalid'})`);
    }
    await this.write(parsed.data);
    return ok(true);
  }

  /** Why results are held in memory (the last disk error), or null when every result is on disk. */
  heldBecause(): string | null {
    return [...this.held.values()].at(-1)?.why ?? null;
  }

  heldCount(): number {
    return this.held.size;
  }

  /** Tries again to write the results held in memory; those that fit leave memory. */
  async writeHeld(): Promise<void> {
    for (const { entry } of [...this.held.values()]) if ((await this.write(entry)) !== null) return;
  }

  async remove(taskId: string): Promise<void> {
    this.held.delete(taskId);
    await rm(join(this.dir, fileName(taskId)), { force: true });
  }

  /** null once written; else the disk's refusal, with the entry held in memory. */
  private async write(entry: OutboxEntry): Promise<string | null> {
    try {
      await writeFileAtomic(join(this.dir, fileName(entry.result.taskId)), JSON.stringify(entry));
      this.held.delete(entry.result.taskId);
      return null;
    } catch (error) {
      const why = diskRefusal(error);
      if (why === null) throw error;
      this.held.set(entry.result.taskId, { entry, why });
      return why;
    }
  }

  /**
   * Everything queued (on disk and held in memory), oldest first. Leftover temp files of an interrupted write are
   * ignored (the write never happened).
   */
  async load(): Promise<OutboxLoad> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const entries: OutboxEntry[] = [];
    const problems: string[] = [];
    for (const name of await readdir(this.dir)) {
      if (!name.endsWith('.json')) continue;
      const file = join(this.dir, name);
      try {
        entries.push(OutboxEntrySchema.parse(JSON.parse(await readFile(file, 'utf8'))));
      } catch (error) {
        // Sent and removed since the folder was listed (a flush still finishing): nothing to set aside.
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        const aside = `${file}.bad`;
        await rename(file, aside);
        problems.push(`A queued result could not be read and was kept as ${aside}: ${errorText(error)}`);
      }
    }
    const onDisk = new Set(entries.map((e) => e.result.taskId));
    for (const { entry } of this.held.values()) if (!onDisk.has(entry.result.taskId)) entries.push(entry);
    entries.sort((a, b) => a.finishedAt - b.finishedAt);
    return { entries, problems };
  }
}
