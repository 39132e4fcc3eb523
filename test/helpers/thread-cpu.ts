import { readdirSync, readFileSync } from 'node:fs';

/**
 * Time on CPU of each thread of a process (`self` for this one), in nanoseconds by thread id, from
 * /proc/<pid>/task/<tid>/schedstat: utime and stime come in 10 ms ticks and charge a whole tick to a thread that merely
 * woke up when it landed, which swamps small costs. A thread that ends while it is read is left out. Linux only.
 */
export function threadCpuNs(pid: number | 'self'): Map<number, number> {
  const times = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      times.set(Number(tid), Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]));
    } catch {
      // a thread that just ended
    }
  }
  return times;
}

/** The process's threads' time on CPU, summed, in nanoseconds. */
export const cpuNs = (pid: number | 'self'): number => [...threadCpuNs(pid).values()].reduce((a, b) => a + b, 0);

/** Each thread's time on CPU between two readings, in ms per `count` (tasks, runs), the process's main thread marked. */
export const perThreadMs = (
  before: Map<number, number>,
  after: Map<number, number>,
  count: number,
  mainTid: number,
): { main: boolean; ms: number }[] =>
  [...after].map(([tid, ns]) => ({ main: tid === mainTid, ms: (ns - (before.get(tid) ?? 0)) / 1e6 / count }));
