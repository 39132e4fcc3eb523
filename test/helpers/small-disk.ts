import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A real 2 MB tmpfs: a full disk the kernel refuses writes on (ENOSPC), not a mocked one. */
export interface SmallDisk {
  dir: string;
  /** Fills it to the last byte. A file's last, partly used page still takes a few more bytes. */
  fill(): Promise<void>;
  /** Frees what `fill` took. */
  free(): Promise<void>;
  close(): Promise<void>;
}

const fillers = ['filler', 'filler-2'];

/** Mounts a small disk, or says why it cannot here (mounting needs root). */
export async function smallDisk(): Promise<SmallDisk | { skipped: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'synor-small-disk-'));
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', dir], { encoding: 'utf8' });
  if (mounted.status !== 0) {
    await rm(dir, { recursive: true, force: true });
    return { skipped: `cannot mount a tmpfs here (${mounted.stderr?.trim() || 'not root'})` };
  }
  return {
    dir,
    async fill() {
      for (const [name, size] of [
        [fillers[0]!, 4 * 1024 ** 2],
        [fillers[1]!, 64 * 1024],
      ] as const) {
        await writeFile(join(dir, name), Buffer.alloc(size)).catch((e: NodeJS.ErrnoException) => {
          if (e.code !== 'ENOSPC') throw e;
        });
      }
    },
    async free() {
      for (const name of fillers) await rm(join(dir, name), { force: true });
    },
    async close() {
      spawnSync('umount', [dir]);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
