import { readFileSync } from 'node:fs';
import { loadAddon, type Addon } from '../../main/core/native/addon-load.js';

/** The native addon where it loads here, else null. */
export function addonOrNull(): Addon | null {
  const loaded = loadAddon();
  return loaded.ok ? loaded.value.addon : null;
}

/** Whether job hosts get PR_SET_PDEATHSIG here (Linux, with a native addon that has it). */
export const hasParentDeathSignal = (): boolean =>
  process.platform === 'linux' && typeof (addonOrNull() as { setParentDeathSignal?: unknown } | null)?.setParentDeathSignal === 'function';

/** A process's state letter from /proc (R running, S sleeping, T stopped, Z zombie…). Linux. */
export const processState = (pid: number): string | undefined => readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '')[0];

/** Gone = no /proc entry, or a zombie (killed, waiting to be reaped: it holds no memory and runs nothing). Linux. */
export function gone(pid: number): boolean {
  try {
    return processState(pid) === 'Z';
  } catch {
    return true;
  }
}

/**
 * How many of `pids` are still there `boundMs` from now, and when the last one went (resolves as soon as all are
 * gone). A job host whose agent died is no child of ours: there is no exit event to wait on, only /proc to read.
 */
export function leftAfter(pids: readonly number[], boundMs = 1000): Promise<{ left: number; ms: number }> {
  const start = performance.now();
  return new Promise((resolve) => {
    const check = (): void => {
      const ms = performance.now() - start;
      const left = pids.filter((pid) => !gone(pid)).length;
      if (left === 0 || ms > boundMs) return resolve({ left, ms });
      setTimeout(check, 5);
    };
    check();
  });
}
