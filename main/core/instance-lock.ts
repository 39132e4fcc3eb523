import { mkdir, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fail, ok, type Result } from '../common/result.js';
import { writeFileAtomic } from './fs/atomic.js';
import { diskRefusal } from './fs/disk-refusal.js';
import { setAside } from './fs/set-aside.js';
import { judgeHolder } from './lock/holder.js';
import { readLock, type LockInfo } from './lock/lock-file.js';
import { processStart } from './lock/process-start.js';
import { startRefusal } from './start-refusal.js';
import { errnoCode } from '../common/errno.js';

export type { LockInfo } from './lock/lock-file.js';

/**
 * One agent per data folder, whichever shell starts it (headless, Electron, a second terminal): two agents would
 * write the same ledger, outbox and wallet and lease as the same device. The lock is `agent.lock` in the data
 * folder, created exclusively, holding the owner's pid and start and, once its server listens, the link to open. A
 * lock whose owner is gone (crashed, killed, a reboot since, its pid now another program's: lock/holder.ts) is stale
 * and taken over; a lock path that is not a plain file is set aside. Mode 0600: the link carries the per-run token.
 */
export type LockResult =
  /** `setAside`: the name a damaged lock (a directory, a fifo…) was moved to, for the shell to say. */
  | { acquired: true; lock: InstanceLock; setAside?: string }
  /** Another live agent owns this folder: `url` is its link, missing while it is still starting. */
  | { acquired: false; running: LockInfo };

export interface InstanceLock {
  readonly file: string;
  /** Publishes the running agent's link for a second start to show; false when not (the disk refused it, or the lock is no longer ours). */
  setUrl(url: string): Promise<boolean>;
  /** Removes the lock if it is still ours. */
  release(): Promise<void>;
}

const LOCK_NAME = 'agent.lock';

/** Creates the lock file exclusively; false when one is there. A lock the disk could not hold is not left behind. */
async function create(file: string, mine: LockInfo): Promise<boolean> {
  let handle;
  try {
    handle = await open(file, 'wx', 0o600);
  } catch (error) {
    if (errnoCode(error) === 'EEXIST') return false;
    throw error;
  }
  try {
    await handle.writeFile(JSON.stringify(mine));
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(file, { force: true });
    throw error;
  }
  await handle.close();
  return true;
}

async function acquire(dataDir: string, pid: number, now: number): Promise<Result<LockResult, 'STORAGE'>> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const file = join(dataDir, LOCK_NAME);
  const start = await processStart(pid);
  const mine: LockInfo = { pid, startedAt: now, ...(start ? { processStart: { boot: start.boot, ticks: start.ticks } } : {}) };
  let movedTo: string | undefined;
  // Three tries: each after a stale lock removed or a damaged one set aside; losing that race to another starter means it runs.
  for (let attempt = 0; attempt < 3; attempt++) {
    if (await create(file, mine)) return ok({ acquired: true, lock: ownedLock(file, mine), ...(movedTo ? { setAside: movedTo } : {}) });
    const held = await readLock(file);
    if (held === 'damaged') {
      // Another starter may have moved it first.
      movedTo = await setAside(file, 'bad', now).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return movedTo;
        throw error;
      });
      continue;
    }
    if (held === undefined) continue;
    if (held.info && (await judgeHolder(held.info, pid)) === 'running') return ok({ acquired: false, running: held.info });
    // Stale, or torn (a start that died writing it): removed only if nobody replaced it meanwhile.
    const again = await readLock(file);
    if (again !== 'damaged' && again?.text === held.text) await rm(file, { force: true });
  }
  const held = await readLock(file);
  if (held !== 'damaged' && held?.info) return ok({ acquired: false, running: held.info });
  return fail('STORAGE', `Another start kept changing the lock file in ${dataDir}: wait a moment and start again.`);
}

/**
 * Takes the data folder for this agent, or says who holds it. A disk that refuses the lock (full, read-only, not
 * ours) is a failure with the sentence to show; any other error is a bug and is thrown.
 */
export async function acquireInstanceLock(dataDir: string, pid = process.pid, now = Date.now()): Promise<Result<LockResult, 'STORAGE'>> {
  try {
    return await acquire(dataDir, pid, now);
  } catch (error) {
    const refusal = startRefusal(error, [dataDir]);
    if (refusal === null) throw error;
    return { ok: false, error: refusal };
  }
}

function ownedLock(file: string, info: LockInfo): InstanceLock {
  const ours = async () => {
    const held = await readLock(file);
    return held !== 'damaged' && held?.info?.pid === info.pid;
  };
  return {
    file,
    async setUrl(url) {
      if (!(await ours())) return false;
      // Without the link a second start still finds this agent by its pid and start; it just cannot show the link.
      return writeFileAtomic(file, JSON.stringify({ ...info, url })).then(
        () => true,
        (error: unknown) => {
          if (diskRefusal(error) === null) throw error;
          return false;
        },
      );
    },
    async release() {
      if (await ours()) await rm(file, { force: true });
    },
  };
}
