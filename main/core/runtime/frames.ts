/**
 * Framing for the agent ↔ job host pipe. Node's own IPC re-concatenates its buffer on every chunk of a large message
 * (a 4 MB tensor took ~0.5 s), so messages go over a plain pipe instead, as frames (common/frame.ts). The receiver
 * puts bytes straight where they belong: the payload gets a buffer of its own (from `alloc`, so a pool can recycle
 * it), which it may transfer to a worker.
 *
 * A large payload may go through a file in a private folder on a RAM file system instead (`Spill`): one write and
 * one read of the whole payload, where a pipe moves ~200 KB per wake-up of each side. With every core computing
 * (threads = cores), each of those wake-ups preempts a compute thread, and the whole operation waits for it.
 */
import {
  closeSync,
  ftruncateSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { frameLengths, frameParts, parseHeader, reviveBytes, stripBytes } from '../../common/frame.js';
import { errnoCode } from '../../common/errno.js';

/** The header of a frame whose payload is in a file: its name in the spill folder, its size, the message. */
type Spilled = { $spill: [string, number]; m: unknown };
const isSpilled = (v: unknown): v is Spilled =>
  typeof v === 'object' &&
  v !== null &&
  '$spill' in v &&
  Array.isArray(v.$spill) &&
  typeof v.$spill[0] === 'string' &&
  typeof v.$spill[1] === 'number';

/** A folder only this user can read, shared by the agent and one job host; payloads of minBytes or more go there. */
export interface Spill {
  dir: string;
  minBytes: number;
}
let spilled = 0;
/** Payloads this big or bigger go through the spill folder: below it, a pipe's few wake-ups cost less than a file. */
export const SPILL_MIN_BYTES = 256 * 1024;
const SHM = '/dev/shm';

/**
 * A new spill folder for one job host: on Linux's /dev/shm (RAM), named after this agent's pid so that folders left
 * by an agent that died can be told apart and swept; undefined where there is no RAM file system (frames then go
 * through the pipe).
 */
export function makeSpillFolder(): string | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    return mkdtempSync(join(SHM, `synor-${process.pid}-`));
  } catch {
    return undefined;
  }
}

/**
 * Removes the spill folders of agents that are gone (a killed agent cannot clean up after itself), and kills their
 * job hosts, found by the folder in their arguments: one the agent had stopped never notices it is gone.
 */
export function sweepSpillFolders(): void {
  if (process.platform !== 'linux') return;
  let names: string[];
  try {
    names = readdirSync(SHM);
  } catch {
    return; // no /dev/shm: nothing was ever spilled
  }
  const left = new Set(
    names.filter((name) => /^synor-\d+-/.test(name) && !alive(Number(name.split('-')[1]))).map((name) => join(SHM, name)),
  );
  if (left.size === 0) return;
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      if (
        readFileSync(`/proc/${pid}/cmdline`, 'utf8')
          .split('\0')
          .some((arg) => left.has(arg))
      )
        process.kill(Number(pid), 'SIGKILL');
    } catch {
      // gone meanwhile, or another user's
    }
  }
  for (const dir of left) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // another user's agent's folder: theirs to sweep
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errnoCode(e) === 'EPERM'; // someone else's process of that pid
  }
}

/** A frame's parts; with `spill`, a large payload goes to a file in the spill folder and the frame names it. */
export function encodeFrame(message: unknown, spill?: Spill): Uint8Array[] {
  const stripped = stripBytes(message);
  const name = spill && stripped.size >= spill.minBytes ? `${process.pid}-${++spilled}` : undefined;
  if (spill && name && writeSpill(spill.dir, name, stripped.blobs))
    return frameParts({ $spill: [name, stripped.size], m: stripped.header } satisfies Spilled, [], 0);
  return frameParts(stripped.header, stripped.blobs, stripped.size);
}

/**
 * Writes a payload to `name`, into a file the reader has finished with where there is one: overwriting pages the
 * RAM file system already holds costs a quarter of allocating and zeroing new ones (~3 ms per 4 MB). False when the
 * folder cannot take it (full, gone): the payload then goes through the pipe.
 */
function writeSpill(dir: string, name: string, blobs: Uint8Array[]): boolean {
  const path = join(dir, name);
  try {
    const free = readdirSync(dir).find((n) => n.startsWith(`free-${process.pid}-`));
    if (free) renameSync(join(dir, free), path);
    const fd = openSync(path, free ? 'r+' : 'wx', 0o600);
    try {
      let at = 0;
      for (const blob of blobs) {
        for (let done = 0; done < blob.byteLength;) done += writeSync(fd, blob, done, blob.byteLength - done, at + done);
        at += blob.byteLength;
      }
      ftruncateSync(fd, at);
    } finally {
      closeSync(fd);
    }
    return true;
  } catch {
    rmSync(path, { force: true });
    return false;
  }
}

/**
 * Reads a spilled payload and hands its file back to the writer for reuse (renamed free-<name>); the name comes from
 * the peer, so it may only name a file in `dir`.
 */
function unspill(dir: string, [name, size]: Spilled['$spill'], alloc: (n: number) => Uint8Array): Uint8Array {
  if (!/^\d+-\d+$/.test(name)) throw new Error(`bad spill file name ${JSON.stringify(name).slice(0, 40)}`);
  const path = join(dir, name);
  const payload = alloc(size);
  const fd = openSync(path, 'r');
  try {
    for (let done = 0; done < size;) {
      const n = readSync(fd, payload, done, size - done, done);
      if (n === 0) throw new Error(`spill file ${name} ends at ${done} of ${size} bytes`);
      done += n;
    }
  } finally {
    closeSync(fd);
    renameSync(path, join(dir, `free-${name}`));
  }
  return payload;
}

/**
 * Reassembles frames and hands each decoded message to `onMessage`. Feed it either way: push() stream chunks (one
 * copy each), or, where the socket reads into a given buffer (net.Socket `onread`), read into target() and call
 * advance(n); target() never spans two parts, so one read never crosses a frame.
 */
export class FrameReader {
  private readonly prefix = new Uint8Array(8);
  private head = new Uint8Array(0);
  private payload: Uint8Array = new Uint8Array(0);
  private part: 'prefix' | 'head' | 'payload' = 'prefix';
  private filled = 0;

  constructor(
    private readonly onMessage: (message: unknown) => void,
    private readonly alloc: (n: number) => Uint8Array = (n) => new Uint8Array(n),
    /** The spill folder, where the peer may put payloads (frames.ts Spill). */
    private readonly spillDir?: string,
  ) {}

  target(): Uint8Array {
    return this.current().subarray(this.filled);
  }

  advance(n: number): void {
    this.filled += n;
    while (this.filled === this.current().length) this.next();
  }

  push(chunk: Uint8Array): void {
    for (let at = 0; at < chunk.length;) {
      const into = this.target();
      const n = Math.min(into.length, chunk.length - at);
      into.set(chunk.subarray(at, at + n));
      at += n;
      this.advance(n);
    }
  }

  private current(): Uint8Array {
    return this.part === 'prefix' ? this.prefix : this.part === 'head' ? this.head : this.payload;
  }

  /** The current part is complete: start the next one (a frame's empty payload completes at once). */
  private next(): void {
    this.filled = 0;
    if (this.part === 'prefix') {
      const lengths = frameLengths(this.prefix);
      this.head = new Uint8Array(lengths.head);
      this.payload = this.alloc(lengths.payload);
      this.part = 'head';
    } else if (this.part === 'head') this.part = 'payload';
    else {
      this.part = 'prefix';
      const header = parseHeader(this.head);
      if (!isSpilled(header)) return this.onMessage(reviveBytes(header, this.payload));
      if (this.spillDir === undefined) throw new Error('a spilled frame, but no spill folder');
      this.onMessage(reviveBytes(header.m, unspill(this.spillDir, header.$spill, this.alloc)));
    }
  }
}

/**
 * Reuses large tensor buffers. Each new 4 MB ArrayBuffer is external memory to V8, and a few of them per task kept
 * both processes in back-to-back mark-compacts (~8 ms a task in the agent); steady work of one shape now allocates
 * no new tensor buffers (the base64 strings of tasks and results remain). Small buffers are not worth it.
 */
export class BufferPool {
  private readonly free: ArrayBuffer[] = [];

  constructor(private readonly keep = 6) {}

  take(n: number): Uint8Array {
    if (n < 64 * 1024) return new Uint8Array(n);
    const i = this.free.findIndex((b) => b.byteLength >= n && b.byteLength <= 2 * n);
    const [reused] = i < 0 ? [] : this.free.splice(i, 1);
    return new Uint8Array(reused ?? new ArrayBuffer(n), 0, n);
  }

  /** Buffers no one reads any more (a transferred-away buffer has length 0 and is skipped). */
  give(buffers: Iterable<ArrayBuffer>): void {
    for (const b of buffers) if (b.byteLength >= 64 * 1024 && !this.free.includes(b)) this.free.push(b);
    this.free.splice(0, this.free.length - this.keep); // the oldest go
  }
}
