import { z } from 'zod';
import { HTTP_RPC_PATH } from '../../common/wire.js';
import { NetworkError, requestJson } from '../network/http.js';
import type { LockInfo } from './lock-file.js';
import { processStart } from './process-start.js';
import { errnoCode } from '../../common/errno.js';

/**
 * Whether the agent a lock names still holds its folder. A pid alone is not enough: after a reboot or a crash the
 * pid may belong to any other program. Two signals tell them apart: where the pid's process started (Linux), and
 * the holder's own answer on the link it published.
 */
export type Holder = 'running' | 'stale';

/** Short: this runs before the app shows anything, and a live agent answers in milliseconds. */
const PROBE_MS = 1500;
/** A lock is written after its process started; this much later still counts as before (the clock's own steps). */
const SLACK_MS = 1000;

/** Any version's settings, read with the lock's own token: only the agent that wrote the lock holds that token. */
const AgentAnswerSchema = z.object({ ok: z.literal(true), value: z.object({ schemaVersion: z.number(), sharing: z.boolean() }) });

/** Signal 0 checks existence only; EPERM means alive but someone else's. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errnoCode(error) === 'EPERM';
  }
}

/**
 * Whether the pid's process is the one that took the lock: true or false where its start can be read, null where
 * it cannot (no /proc), or where an older lock without a recorded start names a process that started before it.
 */
async function sameProcess(info: LockInfo): Promise<boolean | null> {
  const now = await processStart(info.pid);
  if (now === null) return null;
  if (info.processStart) return now.boot === info.processStart.boot && now.ticks === info.processStart.ticks;
  // A process that started after the lock was written (as after a reboot) cannot have written it.
  return now.atMs > info.startedAt + SLACK_MS ? false : null;
}

/**
 * Asks the link's port on this machine, and nowhere else, for the agent's settings with the link's token: `agent`
 * when it answers as one, `silent` when nothing answers in time (a busy or closing agent), `other` otherwise
 * (nothing listens, or another program does).
 */
async function answer(url: string): Promise<'agent' | 'silent' | 'other'> {
  let link: URL;
  try {
    link = new URL(url);
  } catch {
    return 'other';
  }
  const token = /^#token=([0-9a-f]{64})$/.exec(link.hash)?.[1];
  if (link.protocol !== 'http:' || link.hostname !== '127.0.0.1' || link.port === '' || !token) return 'other';
  try {
    await requestJson(new URL(`http://127.0.0.1:${link.port}${HTTP_RPC_PATH}`), {
      method: 'POST',
      body: { cmd: 'getSettings', args: {} },
      token,
      timeoutMs: PROBE_MS,
      maxBytes: 64 * 1024,
      schema: AgentAnswerSchema,
    });
    return 'agent';
  } catch (error) {
    if (error instanceof NetworkError) return error.code === 'TIMEOUT' ? 'silent' : 'other';
    throw error;
  }
}

/**
 * `self` is the pid asking: a lock with its own pid is from an earlier run. A live agent answering on its link holds
 * the folder; so does a live process whose start matches the lock's. A link that does not answer as an agent, from a
 * process whose start does not match, is stale. Where the start cannot be read, the link decides (silence counts as
 * busy, not gone); a lock still without a link (starting, or the desktop app) is then respected, as before.
 */
export async function judgeHolder(info: LockInfo, self: number): Promise<Holder> {
  if (info.pid === self || !alive(info.pid)) return 'stale';
  const same = await sameProcess(info);
  if (same === true) return 'running';
  if (info.url === undefined) return same === false ? 'stale' : 'running';
  const said = await answer(info.url);
  if (said === 'agent') return 'running';
  return same === false || said === 'other' ? 'stale' : 'running';
}
