import { createReadStream } from 'node:fs';

/**
 * The lines of a file from byte `start` (each without its `\n`, with the byte offset just past it), read in chunks so
 * a file of any size costs one chunk of memory. A last line without `\n` is not yielded.
 */
export async function* fileLines(file: string, start = 0): AsyncGenerator<{ text: string; end: number }> {
  let carry: Buffer = Buffer.alloc(0);
  let offset = start;
  const stream = createReadStream(file, { start, highWaterMark: 1 << 20 });
  try {
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
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  } finally {
    stream.destroy();
  }
}
