import { randomBytes } from 'node:crypto';
import * as nodeFs from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

/** The file calls an atomic replace makes (its fsyncs go through the handles `open` gives): Node's, or a fake's. */
export type FilePort = Pick<typeof nodeFs, 'mkdir' | 'open' | 'rename' | 'rm'>;

/** Temp file + fsync + rename (+ fsync of the folder): a reader sees the old file or the new one, never half of one. */
export const writeFileAtomic = (file: string, data: string): Promise<void> =>
  replaceFileAtomic(file, (handle) => handle.writeFile(data, 'utf8'));

/**
 * Writes the parts one after another from the start of a just opened file, without joining them first, and cuts the
 * file there (it may be a reused, longer one); writev may write less than asked (a full disk).
 */
export async function writeParts(handle: FileHandle, parts: Uint8Array[]): Promise<void> {
  let { bytesWritten } = await handle.writev(parts);
  for (const part of parts) {
    const written = Math.min(bytesWritten, part.byteLength);
    bytesWritten -= written;
    for (let at = written; at < part.byteLength;) at += (await handle.write(part, at)).bytesWritten;
  }
  await handle.truncate(parts.reduce((n, part) => n + part.byteLength, 0));
}

/**
 * `writeFileAtomic` for content written in parts: `fill` writes the new file's content into the temp file. `recycled`:
 * a file the caller is done with, overwritten in place as the temp file (writing over pages the disk already holds
 * costs a fraction of allocating new ones and freeing the old file's); a new file when it is gone.
 */
export async function replaceFileAtomic(
  file: string,
  fill: (handle: FileHandle) => Promise<void>,
  recycled?: string,
  { mkdir, open, rename, rm }: FilePort = nodeFs,
): Promise<void> {
  const dir = dirname(file);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    const reuse =
      recycled !== undefined &&
      (await rename(recycled, tmp).then(
        () => true,
        () => false,
      ));
    const handle = await open(tmp, reuse ? 'r+' : 'w', 0o600);
    try {
      await fill(handle);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
  // The rename lives in the folder's entry; Windows cannot open a folder for fsync and does not need it.
  if (process.platform !== 'win32') {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
}
