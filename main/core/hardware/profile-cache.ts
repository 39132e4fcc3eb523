/**
 * hardware-profile.json: measured profiles (the CPU benchmark, WebGPU figures per GPU) by hardware fingerprint, so
 * swapping a GPU back and forth does not measure again each time. Only the most recently measured few are kept.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { GpuSummarySchema } from '../../common/webgpu.js';
import { writeFileAtomic } from '../fs/atomic.js';
import type { Logger } from '../ports.js';

const CACHE_FILE = 'hardware-profile.json';
const CACHE_LIMIT = 8;
const CpuProfileSchema = z.object({
  measuredAt: z.number(),
  durationMs: z.number().min(0),
  cpu: z.object({ fp32Gflops: z.number().min(0), int8Tops: z.number().min(0), memoryBandwidthGbps: z.number().min(0) }),
});
export type CpuProfile = z.infer<typeof CpuProfileSchema>;
const GpuProfileSchema = z.object({ measuredAt: z.number(), adapter: z.string(), figures: GpuSummarySchema, note: z.string() });
const EntrySchema = z.object({ cpu: CpuProfileSchema.nullable(), gpus: z.record(z.string(), GpuProfileSchema) });
export type Entry = z.infer<typeof EntrySchema>;
const CacheSchema = z.object({ version: z.literal(1), profiles: z.record(z.string(), EntrySchema) });
export const EMPTY: Entry = { cpu: null, gpus: {} };
const lastMeasured = (e: Entry) => Math.max(e.cpu?.measuredAt ?? 0, ...Object.values(e.gpus).map((g) => g.measuredAt));

export class ProfileCache {
  private readonly file: string;
  private cache: Promise<Record<string, Entry>> | null = null;

  constructor(
    dir: string,
    private readonly logger: Logger,
  ) {
    this.file = join(dir, CACHE_FILE);
  }

  /** Every kept profile by fingerprint (read once). */
  load(): Promise<Record<string, Entry>> {
    const none: Record<string, Entry> = {};
    return (this.cache ??= readFile(this.file, 'utf8')
      .then(
        (text) => CacheSchema.parse(JSON.parse(text)).profiles,
        (error: NodeJS.ErrnoException) => {
          // A missing cache is normal; an unreadable one only costs a new measurement, which rewrites it.
          if (error.code !== 'ENOENT')
            this.logger.warn(`hardware profile cache ${this.file} unreadable (${error.message}); measuring again`);
          return none;
        },
      )
      .catch((error: Error) => {
        this.logger.warn(`hardware profile cache ${this.file} is invalid (${error.message}); measuring again`);
        return none;
      }));
  }

  /** Changes the profile of fingerprint `print` and writes the file; the entry as saved. */
  async save(print: string, change: (entry: Entry) => Entry): Promise<Entry> {
    const profiles = await this.load();
    const entry = change(profiles[print] ?? EMPTY);
    const kept = Object.fromEntries(
      Object.entries({ ...profiles, [print]: entry })
        .sort(([, a], [, b]) => lastMeasured(b) - lastMeasured(a))
        .slice(0, CACHE_LIMIT),
    );
    this.cache = Promise.resolve(kept);
    await writeFileAtomic(this.file, `${JSON.stringify({ version: 1, profiles: kept }, null, 2)}\n`);
    return entry;
  }
}
