import * as nodeFs from 'node:fs/promises';
import type { OutboxFiles } from '../../main/core/network/outbox.js';

export interface CountingFiles {
  port: OutboxFiles;
  /** fsyncs so far: of files, and of `dir` itself. */
  syncs: { file: number; folder: number };
  /** Runs before each file's (not the folder's) fsync: it may stop there, or throw as the disk would. */
  beforeFileSync: { hook?: (() => Promise<void>) | undefined };
}

/** Node's file calls on `dir`, every fsync counted: the disk, the one part faked. */
export function countingFiles(dir: string): CountingFiles {
  const syncs = { file: 0, folder: 0 };
  const beforeFileSync: CountingFiles['beforeFileSync'] = {};
  const port: OutboxFiles = {
    ...nodeFs,
    async open(path, flags, mode) {
      const handle = await nodeFs.open(path, flags, mode);
      const sync = handle.sync.bind(handle);
      handle.sync = async () => {
        if (String(path) === dir) syncs.folder++;
        else {
          syncs.file++;
          await beforeFileSync.hook?.();
        }
        return sync();
      };
      return handle;
    },
  };
  return { port, syncs, beforeFileSync };
}
