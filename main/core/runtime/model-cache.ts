import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { errorText, fail, ok, type Result } from '../../common/result.js';
import type { ModelRef } from '../../common/task.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { setAside } from '../fs/set-aside.js';
import { bodyChunks } from '../network/body.js';
import type { LinkMeter } from '../network/link-meter.js';
import type { Clock, Logger } from '../ports.js';

export interface ModelCacheOptions {
  dir: string;
  /** Disk budget: cached blobs plus partial downloads; least recently used ones go first. Read at each download. */
  capBytes: number | (() => number);
  clock: Clock;
  logger: Logger;
  fetch?: typeof fetch;
  /** A download that receives nothing for this long is dropped (and resumes on the next try). */
  stallMs?: number;
  /**
   * Every download ends by `baseMs` plus its size at `minBytesPerSec`, however it trickles: a stall timer alone lets a
   * server sending 1 byte/s keep a task preparing forever.
   */
  deadline?: { baseMs: number; minBytesPerSec: number };
  /** Told of each whole download: the network client registers the link figures it measures. */
  meter?: Pick<LinkMeter, 'record'>;
}

const SHA = /^[0-9a-f]{64}$/;
/** A blob found whole this recently is taken as still there: a stream of tasks for one model stats it every 10 s, not per task. */
const FRESH_MS = 10_000;
/** A hash that did not match (or a body past its declared size) is not fetched again for this long: not once per task. */
const REFUSED_MS = 10 * 60_000;
/** At most this many refused hashes are remembered (the newest): a coordinator naming new ones cannot grow it. */
const REFUSED_MAX = 256;
/** `refused.json` in the cache folder: the refusals outlive a restart, which would otherwise fetch each bad source again. */
const RefusedFileSchema = z
  .object({
    version: z.literal(1),
    refused: z
      .array(z.object({ sha256: z.string().regex(SHA), message: z.string().max(4096), until: z.number().int() }).strict())
      .max(REFUSED_MAX),
  })
  .strict();

/** A blob's path in the cache, or why not: `refused` when the source proved bad (remembered), else `unavailable`. */
export type Fetched = Result<string, 'unavailable' | 'refused'>;
const unavailable = (message: string): Fetched => fail('unavailable', message);

/**
 * Content-addressed blob store for models (and tensors sent by URL). A file's name is its sha256, never anything
 * from a task, so no task can reach outside `dir`. Downloads resume with HTTP Range from `partial/`; a blob is
 * renamed into `blobs/` only once its size and hash match. Last use is the file's mtime, which orders eviction.
 */
export class ModelCache {
  private readonly inflight = new Map<string, Promise<Fetched>>();
  private readonly pins = new Map<string, number>();
  /** sha256 → size and when it was last found whole (clock ms); also when its last use was written as mtime. */
  private readonly fresh = new Map<string, { size: number; at: number }>();
  /** sha256 → why its last download was refused and until when (clock ms) that answer stands; oldest first. */
  private readonly refused = new Map<string, { message: string; until: number }>();
  private refusedRead: Promise<void> | null = null;
  private refusedWrites: Promise<void> = Promise.resolve();
  private readonly refusedFile: string;
  private readonly blobs: string;
  private readonly partial: string;

  constructor(private readonly o: ModelCacheOptions) {
    this.blobs = join(o.dir, 'blobs');
    this.partial = join(o.dir, 'partial');
    this.refusedFile = join(o.dir, 'refused.json');
  }

  private cap(): number {
    return typeof this.o.capBytes === 'function' ? this.o.capBytes() : this.o.capBytes;
  }

  /** The only way a path into the cache is made. */
  pathOf(sha256: string): string {
    if (!SHA.test(sha256)) throw new Error('not a sha256');
    return join(this.blobs, sha256);
  }

  /** Path of the verified blob, downloading (or resuming) it if needed. */
  ensure(ref: ModelRef): Promise<Fetched> {
    const running = this.inflight.get(ref.sha256);
    if (running) return running;
    const p = this.fetchBlob(ref).finally(() => this.inflight.delete(ref.sha256));
    this.inflight.set(ref.sha256, p);
    return p;
  }

  /** Keeps a blob from eviction while a job uses it. */
  pin(sha256: string): () => void {
    this.pins.set(sha256, (this.pins.get(sha256) ?? 0) + 1);
    return () => {
      const n = (this.pins.get(sha256) ?? 1) - 1;
      if (n > 0) this.pins.set(sha256, n);
      else this.pins.delete(sha256);
    };
  }

  async remove(sha256: string, why: string): Promise<void> {
    this.o.logger.warn(`model cache: deleting ${sha256.slice(0, 12)}: ${why}`);
    this.fresh.delete(sha256);
    await rm(this.pathOf(sha256), { force: true });
  }

  async list(): Promise<{ sha256: string; size: number; usedAt: number }[]> {
    await mkdir(this.blobs, { recursive: true });
    const names = (await readdir(this.blobs)).filter((n) => SHA.test(n));
    const entries = await Promise.all(
      names.map(async (sha256) => {
        const s = await stat(join(this.blobs, sha256)).catch(() => undefined);
        return s ? { sha256, size: s.size, usedAt: s.mtimeMs } : undefined;
      }),
    );
    return entries.filter((e) => e !== undefined);
  }

  private async fetchBlob(ref: ModelRef): Promise<Fetched> {
    if (!SHA.test(ref.sha256)) return unavailable('not a sha256');
    const url = new URL(ref.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      return unavailable(`only http(s) downloads are allowed, not ${url.protocol}`);
    const cap = this.cap();
    if (ref.size > cap) return unavailable(`model is ${mib(ref.size)}, larger than the ${mib(cap)} disk budget for downloads (Settings)`);
    await (this.refusedRead ??= this.readRefused());
    const refused = this.refused.get(ref.sha256);
    if (refused && this.o.clock.now() < refused.until)
      return unavailable(`${refused.message} (not tried again for ${REFUSED_MS / 60_000} minutes)`);
    const final = this.pathOf(ref.sha256);
    const seen = this.fresh.get(ref.sha256);
    if (seen?.size === ref.size && this.o.clock.now() - seen.at < FRESH_MS) return ok(final);
    const have = await stat(final).catch(() => undefined);
    if (have?.size === ref.size) {
      await this.touch(final, ref);
      return ok(final);
    }
    if (have) await rm(final, { force: true });
    const room = await this.makeRoom(ref.size, ref.sha256);
    if (!room) return unavailable(`no room for ${mib(ref.size)} within the disk budget for downloads: the rest is in use`);
    await mkdir(this.partial, { recursive: true });
    const part = join(this.partial, `${ref.sha256}.part`);
    try {
      return await this.download(ref, part, final);
    } catch (e) {
      const got = (await stat(part).catch(() => undefined))?.size ?? 0;
      return unavailable(
        `download of ${url.host}${url.pathname} stopped at ${got} of ${ref.size} bytes (${String(e)}); the next try resumes`,
      );
    }
  }

  private async download(ref: ModelRef, part: string, final: string): Promise<Fetched> {
    let have = (await stat(part).catch(() => undefined))?.size ?? 0;
    if (have >= ref.size) {
      await rm(part, { force: true });
      have = 0;
    }
    const stop = new AbortController();
    const stallMs = this.o.stallMs ?? 30_000;
    const { baseMs, minBytesPerSec } = this.o.deadline ?? { baseMs: 60_000, minBytesPerSec: 128 * 1024 };
    const totalMs = baseMs + Math.ceil(((ref.size - have) / minBytesPerSec) * 1000);
    const overall = setTimeout(() => stop.abort(new Error(`not done within ${seconds(totalMs)}`)), totalMs);
    const arm = (): NodeJS.Timeout => setTimeout(() => stop.abort(new Error(`no data for ${seconds(stallMs)}`)), stallMs);
    let timer = arm();
    const alive = (): void => {
      clearTimeout(timer);
      timer = arm();
    };
    try {
      const got = await this.receive(ref, part, final, have, stop.signal, alive);
      // Evidence of a bad or hostile source: every task naming this hash would download it in full again.
      if (!got.ok && got.error.code === 'refused') await this.refuse(ref.sha256, got.error.message);
      return got;
    } finally {
      clearTimeout(timer);
      clearTimeout(overall);
    }
  }

  private async receive(
    ref: ModelRef,
    part: string,
    final: string,
    have: number,
    signal: AbortSignal,
    alive: () => void,
  ): Promise<Fetched> {
    const started = performance.now();
    const res = await (this.o.fetch ?? fetch)(ref.url, { headers: have > 0 ? { range: `bytes=${have}-` } : {}, signal, redirect: 'error' });
    if (res.status !== 200 && res.status !== 206) {
      await res.body?.cancel();
      return unavailable(`download of ${ref.url} answered HTTP ${res.status}`);
    }
    // A server that ignores Range sends everything again (200): start over.
    const resumed = res.status === 206 && have > 0;
    const announced = Number(res.headers.get('content-length') ?? NaN);
    if (announced > ref.size - (resumed ? have : 0)) {
      await res.body?.cancel();
      await rm(part, { force: true });
      return fail('refused', `download of ${ref.url} announces ${announced} bytes, more than the task's ${ref.size}: not started`);
    }
    const sum = createHash('sha256');
    if (resumed) for await (const chunk of createReadStream(part)) sum.update(chunk as Buffer);
    let bytes = resumed ? have : 0;
    const file = await open(part, resumed ? 'a' : 'w', 0o600);
    let over = false;
    try {
      for await (const chunk of res.body ? bodyChunks(res.body, signal) : []) {
        alive();
        bytes += chunk.length;
        // Stops at the first byte past the declared size: not one more is written.
        if ((over = bytes > ref.size)) break;
        sum.update(chunk);
        await file.write(chunk);
      }
      await file.sync();
    } finally {
      await file.close();
    }
    if (over) {
      await rm(part, { force: true });
      return fail('refused', `download of ${ref.url} is larger than the announced ${ref.size} bytes: stopped and deleted`);
    }
    if (bytes !== ref.size) throw new Error(`connection ended early`);
    const actual = sum.digest('hex');
    if (actual !== ref.sha256) {
      await rm(part, { force: true });
      return fail('refused', `downloaded bytes hash to ${actual}, the task says ${ref.sha256}: deleted`);
    }
    await rename(part, final);
    await this.touch(final, ref);
    this.o.meter?.record({ sentBytes: 0, receivedBytes: bytes - (resumed ? have : 0), ms: performance.now() - started });
    return ok(final);
  }

  /** The refusals a run before this one saved; a file that cannot be read is set aside (they are only a shortcut). */
  private async readRefused(): Promise<void> {
    const text = await readFile(this.refusedFile, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT')
        this.o.logger.warn(
          `model cache: ${this.refusedFile} cannot be read (${error.code}); sources refused before the start may be tried once more`,
        );
      return null;
    });
    if (text === null) return;
    let parsed: z.infer<typeof RefusedFileSchema> | undefined;
    try {
      parsed = RefusedFileSchema.parse(JSON.parse(text));
    } catch (error) {
      const aside = await setAside(this.refusedFile, 'bad', this.o.clock.now()).catch(() => 'nowhere: it could not be renamed');
      const why = error instanceof z.ZodError ? `${error.issues[0]?.path.join('.')}: ${error.issues[0]?.message}` : errorText(error);
      this.o.logger.warn(
        `model cache: ${this.refusedFile} is damaged (${why}); kept as ${aside}, sources refused before the start may be tried once more`,
      );
      return;
    }
    const now = this.o.clock.now();
    for (const { sha256, message, until } of parsed.refused) if (until > now) this.refused.set(sha256, { message, until });
  }

  /** Remembers a refused source for REFUSED_MS, on disk too; a disk that refuses the file leaves it in memory. */
  private refuse(sha256: string, message: string): Promise<void> {
    const now = this.o.clock.now();
    this.refused.delete(sha256); // re-inserted last: the map's order is the age
    this.refused.set(sha256, { message: message.slice(0, 4096), until: now + REFUSED_MS });
    for (const [sha, { until }] of this.refused) if (until <= now || this.refused.size > REFUSED_MAX) this.refused.delete(sha);
    const refused = [...this.refused].map(([sha, r]) => ({ sha256: sha, ...r }));
    this.refusedWrites = this.refusedWrites.then(() =>
      writeFileAtomic(this.refusedFile, JSON.stringify({ version: 1, refused } satisfies z.infer<typeof RefusedFileSchema>)).catch(
        (error: unknown) =>
          this.o.logger.warn(
            `model cache: the refused sources could not be saved (${errorText(error)}); they are kept until the app stops`,
          ),
      ),
    );
    return this.refusedWrites;
  }

  private async touch(final: string, ref: ModelRef): Promise<void> {
    const now = this.o.clock.now();
    this.fresh.set(ref.sha256, { size: ref.size, at: now });
    await utimes(final, now / 1000, now / 1000).catch(() => undefined);
  }

  /**
   * Evicts until `size` more bytes fit under the disk budget: partial downloads no task is fetching first (they resume
   * only if the same model comes again), then least recently used, unpinned blobs.
   */
  private async makeRoom(size: number, keep: string): Promise<boolean> {
    const cap = this.cap();
    const partials = await this.partials(keep);
    const entries = (await this.list()).sort((a, b) => a.usedAt - b.usedAt);
    let total = [...partials, ...entries].reduce((n, e) => n + e.size, 0);
    for (const p of partials) {
      if (total + size <= cap) break;
      await rm(join(this.partial, `${p.sha256}.part`), { force: true });
      total -= p.size;
    }
    for (const e of entries) {
      if (total + size <= cap) break;
      if (this.pins.has(e.sha256) || e.sha256 === keep) continue;
      await this.remove(e.sha256, 'least recently used, downloads over their disk budget');
      total -= e.size;
    }
    return total + size <= cap;
  }

  /** Partial downloads other than `keep`'s that no download is writing now. */
  private async partials(keep: string): Promise<{ sha256: string; size: number }[]> {
    const names = await readdir(this.partial).catch(() => [] as string[]);
    const idle = names.map((n) => n.replace(/\.part$/, '')).filter((sha) => SHA.test(sha) && sha !== keep && !this.inflight.has(sha));
    const sized = await Promise.all(
      idle.map(async (sha256) => ({ sha256, size: (await stat(join(this.partial, `${sha256}.part`)).catch(() => undefined))?.size })),
    );
    return sized.flatMap((p) => (p.size === undefined ? [] : [{ sha256: p.sha256, size: p.size }]));
  }
}

const mib = (n: number): string => `${(n / 1024 ** 2).toFixed(1)} MiB`;
const seconds = (ms: number): string => `${ms / 1000} s`;
