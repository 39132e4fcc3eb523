import { readdirSync, readFileSync } from 'node:fs';
import { constants, setPriority } from 'node:os';

/**
 * What the agent can do to a job process from outside, per OS. POSIX stops and continues whole processes with
 * SIGSTOP/SIGCONT. Windows has no such signal (NtSuspendProcess needs a native addon we do not ship), so
 * `canSuspend` is false there and callers preempt (kill and requeue) instead.
 */
export const canSuspend = process.platform !== 'win32';

export function suspend(pid: number): void {
  if (canSuspend) process.kill(pid, 'SIGSTOP');
}
export function resume(pid: number): void {
  if (canSuspend) process.kill(pid, 'SIGCONT');
}

const NICE = { idle: constants.priority.PRIORITY_LOW, low: constants.priority.PRIORITY_BELOW_NORMAL };

/**
 * 'idle' = nice 19 / IDLE_PRIORITY_CLASS, 'low' = nice 10 / BELOW_NORMAL. False if the OS refused (raising a
 * priority again needs privileges on Linux). On Linux a nice value belongs to a thread, and this sets the compute
 * threads only: the main thread stays at normal priority, because it is the one that takes SIGSTOP for the whole
 * process, and a main thread at nice 19 on a busy machine can wait tens of ms for a CPU to do that. It uses next to
 * no CPU itself. Elsewhere the whole process gets the priority.
 */
export function setJobPriority(pid: number, level: 'idle' | 'low'): boolean {
  try {
    if (process.platform !== 'linux') setPriority(pid, NICE[level]);
    else for (const tid of readdirSync(`/proc/${pid}/task`)) if (Number(tid) !== pid) setPriority(Number(tid), NICE[level]);
    return true;
  } catch {
    return false;
  }
}

/** Inside a job host: the calling thread (Linux; a no-op elsewhere, where the agent sets the whole process). */
export function lowerThisThread(level: 'idle' | 'low'): void {
  if (process.platform === 'linux') setPriority(0, NICE[level]);
}

const TICK_MS = 10; // USER_HZ is 100 on every Linux Node supports
function stat(pid: number): string[] | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    return raw.slice(raw.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** User+system CPU time of all threads of a process (Linux), in ms at 10 ms resolution; undefined elsewhere. */
export function cpuMs(pid: number): number | undefined {
  const f = stat(pid);
  return f ? (Number(f[11]) + Number(f[12])) * TICK_MS : undefined;
}

/** True once the kernel has really stopped the process (Linux state T); undefined where the OS cannot tell. */
export function isStopped(pid: number): boolean | undefined {
  const f = stat(pid);
  return f ? f[0] === 'T' : undefined;
}

/** Resident memory of a process (Linux /proc, else undefined). */
export function rssBytes(pid: number): number | undefined {
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) * 1024 : undefined;
  } catch {
    return undefined;
  }
}
