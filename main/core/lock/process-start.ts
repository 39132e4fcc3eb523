import { readFile } from 'node:fs/promises';

/** When a process started, as Linux tells it: which boot, and how many clock ticks after that boot. */
export interface ProcessStart {
  /** This boot's random id (/proc/sys/kernel/random/boot_id): no process outlives it. */
  boot: string;
  /** /proc/<pid>/stat field 22: fixed for the life of the process, unlike a pid, which is reused. */
  ticks: number;
  /** Wall-clock start in ms: the boot time (/proc/stat btime) plus the ticks. Moves when the clock is set. */
  atMs: number;
}

// USER_HZ, the unit /proc counts ticks in: 100 on every architecture Node runs on (the kernel fixes it for userspace).
const TICKS_PER_SECOND = 100;

/**
 * The start of process `pid`, or null where it cannot be read (no /proc: macOS, Windows; the process is gone; /proc
 * hidden from us). The pair (boot, ticks) tells one run of a pid from a later process given the same pid.
 */
export async function processStart(pid: number): Promise<ProcessStart | null> {
  try {
    const [stat, boot, system] = await Promise.all([
      readFile(`/proc/${pid}/stat`, 'utf8'),
      readFile('/proc/sys/kernel/random/boot_id', 'utf8'),
      readFile('/proc/stat', 'utf8'),
    ]);
    // The command name (field 2) is in parentheses and may itself hold spaces and ')'; field 3 starts after the last one.
    const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[22 - 3]);
    const btime = Number(system.match(/^btime (\d+)$/m)?.[1]);
    if (!Number.isSafeInteger(ticks) || !Number.isSafeInteger(btime) || boot.trim() === '') return null;
    return { boot: boot.trim(), ticks, atMs: btime * 1000 + (ticks * 1000) / TICKS_PER_SECOND };
  } catch {
    return null;
  }
}
