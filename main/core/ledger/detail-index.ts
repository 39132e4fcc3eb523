import { createReadStream } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import { createGunzip, gunzip, gzip } from 'node:zlib';
import { replaceFileAtomic } from '../fs/atomic.js';
import { fileLines } from '../fs/lines.js';
import { errnoCode } from '../../common/errno.js';
import { fieldOf } from '../../common/keys.js';

/**
 * Finding one task in a week of per-task detail without unpacking it. A finished day is packed as gzip members of
 * about 1 MiB of lines each (any gzip reader reads them as one stream), and beside it `<day>.jsonl.gz.ids` says which
 * member holds each task and receipt id: a sorted table of (hash of the id, member), searched with a few small reads.
 * A day being written (not packed yet) is searched as raw bytes. Anything missing or not matching falls back to
 * reading the whole day, so a proof is never lost to the table, only slower.
 */

const BLOCK_BYTES = 1 << 20;
const MAGIC = Buffer.from('synor-detail-ids 1\n');
const ENTRY = 8;
/** An entry is `hash × MEMBERS + member`, exact as a double (a hash is 32 bits, a member number 20). */
const MEMBERS = 2 ** 20;

export const idsFile = (packed: string): string => `${packed}.ids`;

/** FNV-1a over the id's UTF-16 units: spreads ids well, and a collision only costs reading one more member. */
function idHash(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** The receipt and task ids of a detail line's rows (none for a line that does not parse: it is skipped on reading). */
function idsOf(text: string): string[] {
  try {
    const rows = fieldOf(JSON.parse(text.slice(65)), 'rows');
    if (!Array.isArray(rows)) return [];
    return rows
      .flatMap((row: unknown) => (Array.isArray(row) ? [row[0], row[2]] : []))
      .filter((id): id is string => typeof id === 'string' && id !== '');
  } catch {
    return [];
  }
}

/** Gzips a finished day's file beside it with its id table, then removes the original (a crash leaves one whole). */
export async function packDay(path: string): Promise<void> {
  const tmp = `${path}.gz.tmp`;
  const out = await open(tmp, 'w', 0o600);
  const starts = [0];
  const entries: number[] = [];
  try {
    let block: string[] = [];
    let size = 0;
    const flush = async (): Promise<void> => {
      const packed = await promisify(gzip)(block.join(''));
      await out.write(packed);
      starts.push((starts.at(-1) ?? 0) + packed.length);
      block = [];
      size = 0;
    };
    for await (const { text } of fileLines(path)) {
      for (const id of idsOf(text)) entries.push(idHash(id) * MEMBERS + starts.length - 1);
      block.push(`${text}\n`);
      size += text.length + 1;
      if (size >= BLOCK_BYTES) await flush();
    }
    if (block.length) await flush();
    await out.sync();
  } finally {
    await out.close();
  }
  const table = Float64Array.from(entries).sort();
  const head = Buffer.alloc(8 * (starts.length + 1));
  head.writeUInt32LE(starts.length, 0);
  starts.forEach((at, i) => head.writeDoubleLE(at, 8 * (i + 1)));
  const body = Buffer.alloc(table.length * ENTRY);
  table.forEach((entry, i) => body.writeDoubleLE(entry, i * ENTRY));
  await replaceFileAtomic(idsFile(`${path}.gz`), async (handle) => {
    await handle.writev([MAGIC, head, body]);
  });
  await rename(tmp, `${path}.gz`);
  await rm(path);
}

/** The packed members of `packed` that may hold `id`, each unpacked; null when its table is missing or not its. */
async function membersWith(packed: string, id: string): Promise<Buffer[] | null> {
  const handle = await open(idsFile(packed), 'r').catch(() => null);
  if (!handle) return null;
  try {
    const read = async (at: number, length: number): Promise<Buffer> => {
      const { buffer, bytesRead } = await handle.read(Buffer.alloc(length), 0, length, at);
      if (bytesRead !== length) throw new Error('short');
      return buffer;
    };
    if (!(await read(0, MAGIC.length)).equals(MAGIC)) return null;
    const count = (await read(MAGIC.length, 4)).readUInt32LE(0);
    const head = await read(MAGIC.length, 8 * (count + 1));
    const starts = Array.from({ length: count }, (_, i) => head.readDoubleLE(8 * (i + 1)));
    const from = MAGIC.length + head.length;
    if (starts.at(-1) !== (await stat(packed)).size || count > MEMBERS) return null;
    const entries = ((await handle.stat()).size - from) / ENTRY;
    const first = idHash(id) * MEMBERS;
    const at = async (i: number): Promise<number> => (await read(from + i * ENTRY, ENTRY)).readDoubleLE(0);
    let lo = 0;
    for (let hi = entries; lo < hi;) {
      const mid = (lo + hi) >>> 1;
      if ((await at(mid)) < first) lo = mid + 1;
      else hi = mid;
    }
    const blocks = new Set<number>();
    for (let i = lo, entry = 0; i < entries && (entry = await at(i)) < first + MEMBERS; i++) blocks.add(entry - first);
    const file = await open(packed, 'r');
    try {
      return await Promise.all(
        [...blocks].map(async (b) => {
          // eslint-disable-next-line @typescript-eslint/no-non-null-assertion -- b is a block of this file's table, so b + 1 < starts.length
          const [from, to] = [starts[b]!, starts[b + 1]!];
          const length = to - from;
          const { buffer } = await file.read(Buffer.alloc(length), 0, length, from);
          return promisify(gunzip)(buffer);
        }),
      );
    } finally {
      await file.close();
    }
  } catch {
    return null;
  } finally {
    await handle.close();
  }
}

/**
 * The lines (without `\n`) of the chunks that contain `needle`, found as bytes: only those lines are decoded, and only
 * the line across two chunks is copied.
 */
async function* linesHolding(chunks: AsyncIterable<Buffer> | Iterable<Buffer>, needle: Buffer): AsyncGenerator<string> {
  let carry = Buffer.alloc(0);
  for await (const chunk of chunks) {
    const first = chunk.indexOf(10);
    if (first === -1) {
      carry = Buffer.concat([carry, chunk]);
      continue;
    }
    const across = carry.length ? Buffer.concat([carry, chunk.subarray(0, first)]) : chunk.subarray(0, first);
    if (across.includes(needle)) yield across.toString('utf8');
    const last = chunk.lastIndexOf(10);
    for (let at = chunk.indexOf(needle, first + 1); at !== -1 && at < last;) {
      const end = chunk.indexOf(10, at);
      yield chunk.toString('utf8', chunk.lastIndexOf(10, at) + 1, end);
      at = chunk.indexOf(needle, end);
    }
    carry = Buffer.from(chunk.subarray(last + 1));
  }
}

/**
 * The lines of a day file (packed or not) that hold `id` as bytes: a packed day through its id table where it has a
 * good one, else by reading it whole.
 */
export async function* dayLinesHolding(path: string, id: string): AsyncGenerator<string> {
  const needle = Buffer.from(JSON.stringify(id));
  const members = path.endsWith('.gz') ? await membersWith(path, id) : null;
  if (members) return yield* linesHolding(members, needle);
  const raw = createReadStream(path, { highWaterMark: 4 << 20 });
  const stream = path.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  if (stream !== raw) raw.once('error', (error) => stream.destroy(error));
  try {
    // eslint-disable-next-line @typescript-eslint/consistent-type-assertions -- a file stream read without an encoding (gunzipped or not) gives Buffers
    yield* linesHolding(stream as AsyncIterable<Buffer>, needle);
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT') throw error;
  } finally {
    stream.destroy();
    raw.destroy();
  }
}
