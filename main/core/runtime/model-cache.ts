import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelRef } from '../../common/task.js';
import type { Clock, Logger } from '../ports.js';

export interface ModelCacheOptions {
  dir: string;
  /** Total bytes of cached blobs; least recently used ones go first. */
  capBytes: number;
  clock: Clock;
  logger: Logger;
  fetch?: typeof fetch;
  /** A download that receives nothing for this long is dropped (and resumes on the next try). */
  stallMs?: number;
}

const SHA = /^[0-9a-f]{64}$/;
/** A blob found whole this recently is taken as still there: a stream of tasks for one model stats it every 10 s, not per task. */
const FRESH_MS = 10_000;

export type Fetched = { ok: true; path: string } | { ok: false; message: string };
const ok = (path: string): Fetched => ({ ok: true, path });
const fail = (message: string): Fetched => ({ ok: false, message });

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
  private readonly blobs: string;
  private readonly partial: string;

  constructor(private readonly o: ModelCacheOptions) {
    this.blobs = join(o.dir, 'blobs');
    this.partial = join(o.dir, 'partial');
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
    if (!SHA.test(ref.sha256)) return fail('not a sha256');
    const url = new URL(ref.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return fail(`only http(s) downloads are allowed, not ${url.protocol}`);
    if (ref.size > this.o.capBytes) return fail(`model is ${mib(ref.size)}, larger than the ${mib(this.o.capBytes)} model cache`);
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
    if (!room) return fail(`no room for ${mib(ref.size)} in the model cache: the rest is in use`);
    await mkdir(this.partial, { recursive: true });
    const part = join(this.partial, `${ref.sha256}.part`);
    try {
      return await this.download(ref, part, final);
    } catch (e) {
      const got = (await stat(part).catch(() => undefined))?.size ?? 0;
      return fail(`download of ${url.host}${url.pathname} stopped at ${got} of ${ref.size} bytes (${String(e)}); the next try resumes`);
    }
  }

  private async download(ref: ModelRef, part: string, final: string): Promise<Fetched> {
    let have = (await stat(part).catch(() => undefined))?.size ?? 0;
    if (have >= ref.size) {
      await rm(part, { force: true });
      have = 0;
    }
    const stall = new AbortController();
    const stallMs = this.o.stallMs ?? 30_000;
    const arm = (): NodeJS.Timeout => setTimeout(() => stall.abort(new Error(`no data for ${stallMs / 1000} s`)), stallMs);
    let timer = arm();
    const alive = (): void => {
      clearTimeout(timer);
      timer = arm();
    };
    try {
      return await this.receive(ref, part, final, have, stall.signal, alive);
    } finally {
      clearTimeout(timer);
    }
  }

  private async receive(ref: ModelRef, part: string, final: string, have: number, signal: AbortSignal, alive: () => void): Promise<Fetched> {
    const res = await (this.o.fetch ?? fetch)(ref.url, { headers: have > 0 ? { range: `bytes=${have}-` } : {}, signal });
    if (res.status !== 200 && res.status !== 206) {
      await res.body?.cancel();
      return fail(`download of ${ref.url} answered HTTP ${res.status}`);
    }
    // A server that ignores Range sends everything again (200): start over.
    const resumed = res.status === 206 && have > 0;
    const sum = createHash('sha256');
    if (resumed) for await (const chunk of createReadStream(part)) sum.update(chunk as Buffer);
    let bytes = resumed ? have : 0;
    const file = await open(part, resumed ? 'a' : 'w', 0o600);
    try {
      for await (const chunk of res.body ?? []) {
        alive();
        bytes += chunk.length;
        if (bytes > ref.size) {
          await rm(part, { force: true });
          return fail(`download of ${ref.url} is larger than the announced ${ref.size} bytes`);
        }
        sum.update(chunk);
        await file.write(chunk);
      }
      await file.sync();
    } finally {
      await file.close();
    }
    if (bytes !== ref.size) throw new Error(`connection ended early`);
    const actual = sum.digest('hex');
    if (actual !== ref.sha256) {
      await rm(part, { force: true });
      return fail(`downloaded bytes hash to ${actual}, the task says ${ref.sha256}: deleted`);
    }
    await rename(part, final);
    await this.touch(final, ref);
    return ok(final);
  }

  private async touch(final: string, ref: ModelRef): Promise<void> {
    const now = this.o.clock.now();
    this.fresh.set(ref.sha256, { size: ref.size, at: now });
    await utimes(final, now / 1000, now / 1000).catch(() => undefined);
  }

  /** Evicts least recently used, unpinned blobs until `size` more bytes fit under the cap. */
  private async makeRoom(size: number, keep: string): Promise<boolean> {
    const entries = (await this.list()).sort((a, b) => a.usedAt - b.usedAt);
    let total = entries.reduce((n, e) => n + e.size, 0);
    for (const e of entries) {
      if (total + size <= this.o.capBytes) break;
      if (this.pins.has(e.sha256) || e.sha256 === keep) continue;
      await this.remove(e.sha256, 'least recently used, cache over its size cap');
      total -= e.size;
    }
    return total + size <= this.o.capBytes;
  }
}

const mib = (n: number): string => `${(n / 1024 ** 2).toFixed(1)} MiB`;
