import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { errnoCode } from '../../common/errno.js';

/**
 * The lines of a file from byte `start` (each without its `\n`, with the byte offset just past it), read in chunks so
 * a file of any size costs one chunk of memory. A last line without `\n` is not yielded. A `.gz` file is read
 * unpacked (offsets then count unpacked bytes, and `start` must be 0).
 */
export async function* fileLines(file: string, start = 0): AsyncGenerator<{ text: string; end: number }> {
  let carry: Buffer = Buffer.alloc(0);
  let offset = start;
  const raw = createReadStream(file, { start, highWaterMark: 1 << 20 });
  const stream = file.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  // pipe() does not forward a read error (a missing file) to the gunzip stream.
  if (stream !== raw) raw.once('error', (error) => stream.destroy(error));
  try {
    // eslint-disable-next-line @typescript-eslint/consistent-type-assertions -- a file stream read without an encoding (gunzipped or not) gives Buffers
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const buffer = carry.length ? Buffer.concat([carry, chunk]) : chunk;
      let from = 0;
      for (let nl = buffer.indexOf(10); nl !== -1; nl = buffer.indexOf(10, from)) {
        offset += nl + 1 - from;
        yield { text: buffer.toString('utf8', from, nl), end: offset };
        from = nl + 1;
      }
      carry = buffer.subarray(from);
    }
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT') throw error;
  } finally {
    stream.destroy();
    raw.destroy();
  }
}
