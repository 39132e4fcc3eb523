import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from './fs/atomic.js';

/**
 * One agent per data folder, whichever shell starts it (headless, Electron, a second terminal): two agents would
 * write the same ledger, outbox and wallet and lease as the same device. The lock is `agent.lock` in the data
 * folder, created exclusively, holding the owner's pid and, once its server listens, the link to open. A lock
 * whose pid is no longer alive (the agent crashed or was killed) is stale and taken over. Mode 0600: the link
 * carries the per-run token.
 */
const LockSchema = z.object({ pid: z.number().int().positive(), startedAt: z.number(), url: z.string().optional() });
export type LockInfo = z.infer<typeof LockSchema>;

export type LockResult =
  | { acquired: true; lock: InstanceLock }
  /** Another live agent owns this folder: `url` is its link, missing while it is still starting. */
  | { acquired: false; running: LockInfo };

export interface InstanceLock {
  readonly file: string;
  /** Publishes the running agent's link for a second start to show. */
  setUrl(url: string): Promise<void>;
  /** Removes the lock if it is still ours. */
  release(): Promise<void>;
}

const LOCK_NAME = 'agent.lock';

/** Signal 0 checks existence only; EPERM means alive but someone else's. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readLock(file: string): Promise<{ text: string; info: LockInfo | undefined } | undefined> {
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (text === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = LockSchema.safeParse(json);
  return { text, info: parsed.success ? parsed.data : undefined };
}

export async function acquireInstanceLock(dataDir: string, pid = process.pid, now = Date.now()): Promise<LockResult> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const file = join(dataDir, LOCK_NAME);
  const mine: LockInfo = { pid, startedAt: now };
  // Two tries: the second follows the removal of a stale lock; losing that race to another starter means it runs.
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(file, 'wx', 0o600);
      try {
        await handle.writeFile(JSON.stringify(mine));
        await handle.sync();
      } finally {
        await handle.close();
      }
      return { acquired: true, lock: ownedLock(file, mine) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const held = await readLock(file);
    if (held?.info && held.info.pid !== pid && alive(held.info.pid)) return { acquired: false, running: held.info };
    // Stale (dead pid, our own pid from an earlier run, or a torn write): remove it only if nobody replaced it meanwhile.
    const again = await readLock(file);
    if (again && again.text === held?.text) await rm(file, { force: true });
  }
  const held = await readLock(file);
  if (held?.info) return { acquired: false, running: held.info };
  throw new Error(`${file} could not be taken`);
}

function ownedLock(file: string, info: LockInfo): InstanceLock {
  const ours = async () => (await readLock(file))?.info?.pid === info.pid;
  return {
    file,
    async setUrl(url) {
      if (await ours()) await writeFileAtomic(file, JSON.stringify({ ...info, url }));
    },
    async release() {
      if (await ours()) await rm(file, { force: true });
    },
  };
}
