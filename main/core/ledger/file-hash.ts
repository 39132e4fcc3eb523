import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';

/**
 * Up to this many bytes, what an index vouches for is hashed before the index is trusted (a few milliseconds). Past
 * it, in the background: a year of epochs is ~450 MB, and a start must cost the same after a year as after a day.
 */
export const HASH_ON_START = 4 * 1024 * 1024;

/**
 * The sha256 of the checked part of a ledger file, kept running as lines are appended, so an index can say what that
 * part hashes to. One taken over from an index on trust (`trusted`) hashes the bytes the index vouches for in the
 * background: `agrees` says whether they hash as it said, and until that is known no digest is given (the lines
 * appended meanwhile are read back from the file to catch up).
 */
export class FileHash {
  /** Bytes of the file this hash covers, or will once caught up. */
  bytes: number;
  /** Bytes fed to `hash` (while catching up, fewer than `bytes`). */
  private fed: number;
  private hash: Hash | null;
  private catchingUp: Promise<void> | null = null;

  private constructor(
    private readonly file: string,
    hash: Hash | null,
    bytes: number,
    /** Whether the bytes taken on trust hash as the index said (true for a hash of every byte). */
    readonly agrees: Promise<boolean>,
    private readonly prefix: Promise<Hash | null> | null,
  ) {
    this.hash = hash;
    this.bytes = this.fed = bytes;
  }

  /** A hash of the first `bytes` of `file`, computed now. */
  static async of(file: string, bytes: number): Promise<FileHash> {
    return new FileHash(file, await hashOf(file, bytes), bytes, Promise.resolve(true), null);
  }

  /** The first `bytes` of `file`, said to hash to `sha256`: hashed in the background. */
  static trusted(file: string, bytes: number, sha256: string): FileHash {
    const prefix = hashOf(file, bytes).then(
      (hash) => (hash.copy().digest('hex') === sha256 ? hash : null),
      () => null,
    );
    return new FileHash(file, null, bytes, prefix.then(Boolean), prefix);
  }

  /** Whether the hash is known now (not waiting for the bytes taken on trust). */
  get known(): boolean {
    return this.hash !== null;
  }

  /** Counts a line written at the end of the file. */
  update(line: string): void {
    const length = Buffer.byteLength(line);
    this.bytes += length;
    if (!this.hash) return;
    this.hash.update(line);
    this.fed += length;
  }

  /** The sha256 of the first `bytes` and their count, or null when the bytes taken on trust did not hash as said. */
  async digest(): Promise<{ sha256: string; bytes: number } | null> {
    if (!this.hash) await (this.catchingUp ??= this.catchUp());
    return this.hash ? { sha256: this.hash.copy().digest('hex'), bytes: this.bytes } : null;
  }

  /** Feeds the lines appended since the bytes taken on trust, read back from the file, until none is left to feed. */
  private async catchUp(): Promise<void> {
    const hash = await this.prefix;
    if (!hash) return;
    while (this.fed < this.bytes) {
      const end = this.bytes;
      for await (const chunk of createReadStream(this.file, { start: this.fed, end: end - 1 })) hash.update(chunk);
      this.fed = end;
    }
    // Set with no await after the loop's last test: a line appended from now on is fed by `update`.
    this.hash = hash;
  }
}

/** Whether byte `at` of `file` starts a line (the file's start, or just after a newline). */
export async function startsLine(file: string, at: number): Promise<boolean> {
  if (at === 0) return true;
  const handle = await open(file, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(1), 0, 1, at - 1);
    return bytesRead === 1 && buffer[0] === 0x0a;
  } finally {
    await handle.close();
  }
}

/** A sha256 fed the first `bytes` of a file (not yet digested: the caller may go on feeding it). */
async function hashOf(file: string, bytes: number): Promise<Hash> {
  const hash = createHash('sha256');
  if (bytes > 0) for await (const chunk of createReadStream(file, { end: bytes - 1 })) hash.update(chunk);
  return hash;
}
