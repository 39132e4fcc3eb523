import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { fail, ok, type Result } from '../../common/result.js';
import type { ModelRef } from '../../common/task.js';
import { connectionWords } from '../../common/connection-words.js';
import { DOWNLOAD_LIMITS, downloadTimers, openDownload, type DownloadLimits } from '../network/download.js';
import type { LinkMeter } from '../network/link-meter.js';
import { NotPublicError, REFUSED_SOURCE } from '../network/public-address.js';
import type { Clock, Logger } from '../ports.js';
import { REFUSED_MS, RefusedSources, SHA } from './refused-sources.js';

export interface ModelCacheOptions {
  dir: string;
  /** Disk budget: cached blobs plus partial downloads; least recently used ones go first. Read at each download. */
  capBytes: number | (() => number);
  clock: Clock;
  logger: Logger;
  /**
   * Whether downloads may reach only public addresses: true for a coordinator that is not on this machine, which must
   * not probe the user's own network through the agent. Read at each download; left out, any address is reached.
   */
  publicOnly?: () => boolean;
  /** A download that receives nothing for this long is dropped (and resumes on the next try). */
  stallMs?: DownloadLimits['stallMs'];
  /** Every download ends by `baseMs` plus its size at `minBytesPerSec` (download.ts). */
  deadline?: DownloadLimits['deadline'];
  /** Told of each whole download: the network client registers the link figures it measures. */
  meter?: Pick<LinkMeter, 'record'>;
}

/** A blob found whole this recently is taken as still there: a stream of tasks for one model stats it every 10 s, not per task. */
const FRESH_MS = 10_000;

/** A blob's path in the cache, or why not: `refused` when the source proved bad (remembered), else `unavailable`. */
export type Fetched = Result<string, 'unavailable' | 'refused'>;
const unavailable = (message: string): Fetched => fail('unavailable', message);

/** Why a caller's download ended early: its task, lease or coordinator went away. */
export const NOT_WANTED = 'the download stopped: the task no longer needs it';

/** A download under way, shared by every caller asking for the same hash; it stops once none of them wants it. */
interface Inflight {
  done: Promise<Fetched>;
  stop: AbortController;
  wanted: number;
}

/**
 * Content-addressed blob store for models. A file's name is its sha256, never anything from a task, so no task can
 * reach outside `dir`. Downloads resume with HTTP Range from `partial/`; a blob is renamed into `blobs/` only once its
 * size and hash match. Last use is the file's mtime, which orders eviction.
 */
export class ModelCache {
  private readonly inflight = new Map<string, Inflight>();
  private readonly pins = new Map<string, number>();
  /** sha256 → size and when it was last found whole (clock ms); also when its last use was written as mtime. */
  private readonly fresh = new Map<string, { size: number; at: number }>();
  private readonly refused: RefusedSources;
  private readonly blobs: string;
  private readonly partial: string;

  constructor(private readonly o: ModelCacheOptions) {
    this.blobs = join(o.dir, 'blobs');
    this.partial = join(o.dir, 'partial');
    this.refused = new RefusedSources(join(o.dir, 'refused.json'), o.clock, o.logger);
  }

  private cap(): number {
    return typeof this.o.capBytes === 'function' ? this.o.capBytes() : this.o.capBytes;
  }

  /** The only way a path into the cache is made. */
  pathOf(sha256: string): string {
    if (!SHA.test(sha256)) throw new Error('not a sha256');
    return join(this.blobs, sha256);
  }

  /**
   * Path of the verified blob, downloading (or resuming) it if needed. `signal`: the caller no longer wants it; its
   * answer is then NOT_WANTED at once, and the download itself stops when no other caller wants it either.
   */
  ensure(ref: ModelRef, signal?: AbortSignal): Promise<Fetched> {
    if (signal?.aborted) return Promise.resolve(unavailable(NOT_WANTED));
    const current = this.inflight.get(ref.sha256);
    const run = current && !current.stop.signal.aborted ? current : this.start(ref, current);
    run.wanted++;
    if (!signal) return run.done;
    return new Promise<Fetched>((resolve) => {
      const leave = (): void => {
        resolve(unavailable(NOT_WANTED));
        if (--run.wanted === 0) run.stop.abort(new Error('no task needs it any more'));
      };
      signal.addEventListener('abort', leave, { once: true });
      void run.done.then((got) => {
        signal.removeEventListener('abort', leave);
        resolve(got);
      });
    });
  }

  /**
   * A new download for `ref`. One that every caller left is stopping (`ending`): joined, it would answer the new
   * caller that no task needs it, so the new one starts once that one has let go of the partial file.
   */
  private start(ref: ModelRef, ending?: Inflight): Inflight {
    const stop = new AbortController();
    const after = ending ? ending.done.then(ignore, ignore) : Promise.resolve();
    const done = after
      .then(() => this.fetchBlob(ref, stop.signal))
      .finally(() => {
        if (this.inflight.get(ref.sha256) === run) this.inflight.delete(ref.sha256);
      });
    const run: Inflight = { done, stop, wanted: 0 };
    this.inflight.set(ref.sha256, run);
    return run;
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

  private async fetchBlob(ref: ModelRef, wanted: AbortSignal): Promise<Fetched> {
    if (!SHA.test(ref.sha256)) return unavailable('not a sha256');
    const url = new URL(ref.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      return unavailable(`only http(s) downloads are allowed, not ${url.protocol}`);
    const cap = this.cap();
    if (ref.size > cap) return unavailable(`model is ${mib(ref.size)}, larger than the ${mib(cap)} disk budget for downloads (Settings)`);
    const refused = await this.refused.find(ref.sha256);
    if (refused !== undefined) return unavailable(`${refused} (not tried again for ${REFUSED_MS / 60_000} minutes)`);
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
      return await this.download(ref, url, part, final, wanted);
    } catch (e) {
      if (e instanceof NotPublicError) {
        this.o.logger.warn(`model cache: not downloading ${ref.url}: ${e.message}; a coordinator on the network may not reach it`);
        return unavailable(REFUSED_SOURCE);
      }
      const got = (await stat(part).catch(() => undefined))?.size ?? 0;
      return unavailable(
        `download of ${url.host}${url.pathname} stopped at ${got} of ${ref.size} bytes (${connectionWords(e)}); the next try resumes`,
      );
    }
  }

  /** One try, ended by the stall timer, the overall deadline, or `wanted` (no caller wants it any more). */
  private async download(ref: ModelRef, url: URL, part: string, final: string, wanted: AbortSignal): Promise<Fetched> {
    let have = (await stat(part).catch(() => undefined))?.size ?? 0;
    if (have >= ref.size) {
      await rm(part, { force: true });
      have = 0;
    }
    const limits = {
      stallMs: this.o.stallMs ?? DOWNLOAD_LIMITS.stallMs,
      deadline: this.o.deadline ?? DOWNLOAD_LIMITS.deadline,
    };
    const timers = downloadTimers(ref.size - have, limits, wanted);
    try {
      const got = await this.receive(ref, url, { part, final, have, signal: timers.signal, alive: timers.alive });
      // Evidence of a bad or hostile source: every task naming this hash would download it in full again.
      if (!got.ok && got.error.code === 'refused') await this.refused.add(ref.sha256, got.error.message);
      return got;
    } finally {
      timers.end();
    }
  }

  /** Streams the body to `part`, hashing on the way; each chunk is written before the next is read (backpressure). */
  private async receive(
    ref: ModelRef,
    url: URL,
    { part, final, have, signal, alive }: { part: string; final: string; have: number; signal: AbortSignal; alive: () => void },
  ): Promise<Fetched> {
    const started = performance.now();
    const res = await openDownload(url, { from: have, signal, publicOnly: this.o.publicOnly?.() ?? false });
    const status = res.statusCode ?? 0;
    if (status !== 200 && status !== 206) {
      res.destroy();
      return unavailable(`download of ${ref.url} answered HTTP ${status}`);
    }
    // A server that ignores Range sends everything again (200): start over.
    const resumed = status === 206 && have > 0;
    const announced = Number(res.headers['content-length'] ?? NaN);
    if (announced > ref.size - (resumed ? have : 0)) {
      res.destroy();
      await rm(part, { force: true });
      return fail('refused', `download of ${ref.url} announces ${announced} bytes, more than the task's ${ref.size}: not started`);
    }
    const sum = createHash('sha256');
    if (resumed) for await (const chunk of createReadStream(part)) sum.update(chunk);
    let bytes = resumed ? have : 0;
    const file = await open(part, resumed ? 'a' : 'w', 0o600);
    let over = false;
    try {
      // eslint-disable-next-line @typescript-eslint/consistent-type-assertions -- a response read without an encoding gives Buffers
      for await (const chunk of res as AsyncIterable<Buffer>) {
        alive();
        bytes += chunk.length;
        // Stops at the first byte past the declared size: not one more is written.
        if ((over = bytes > ref.size)) break;
        sum.update(chunk);
        await file.write(chunk);
      }
      await file.sync();
    } catch (error) {
      throw signal.aborted ? signal.reason : error;
    } finally {
      res.destroy();
      await file.close();
    }
    if (over) {
      await rm(part, { force: true });
      return fail('refused', `download of ${ref.url} is larger than the announced ${ref.size} bytes: stopped and deleted`);
    }
    if (bytes !== ref.size) throw signal.aborted ? signal.reason : new Error('the connection ended early');
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
    const names = await readdir(this.partial).catch((): string[] => []);
    const idle = names.map((n) => n.replace(/\.part$/, '')).filter((sha) => SHA.test(sha) && sha !== keep && !this.inflight.has(sha));
    const sized = await Promise.all(
      idle.map(async (sha256) => ({ sha256, size: (await stat(join(this.partial, `${sha256}.part`)).catch(() => undefined))?.size })),
    );
    return sized.flatMap((p) => (p.size === undefined ? [] : [{ sha256: p.sha256, size: p.size }]));
  }
}

const ignore = (): void => undefined;
const mib = (n: number): string => `${(n / 1024 ** 2).toFixed(1)} MiB`;
