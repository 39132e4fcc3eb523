import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { TaskResultSchema } from '../../common/task.js';
import { writeFileAtomic } from '../fs/atomic.js';

/**
 * Finished results waiting to be submitted, one file each, written (fsynced) before the first submit attempt and
 * removed only after the coordinator acknowledged them: a crash or kill -9 at any point loses nothing.
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

export class Outbox {
  constructor(readonly dir: string) {}

  async put(entry: OutboxEntry): Promise<void> {
    await writeFileAtomic(join(this.dir, fileName(entry.result.taskId)), JSON.stringify(OutboxEntrySchema.parse(entry)));
  }

  async remove(taskId: string): Promise<void> {
    await rm(join(this.dir, fileName(taskId)), { force: true });
  }

  /** Everything queued, oldest first. Leftover temp files of an interrupted write are ignored (the write never happened). */
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
        const aside = `${file}.bad`;
        await rename(file, aside);
        problems.push(`A queued result could not be read and was kept as ${aside}: ${(error as Error).message}`);
      }
    }
    entries.sort((a, b) => a.finishedAt - b.finishedAt);
    return { entries, problems };
  }
}
