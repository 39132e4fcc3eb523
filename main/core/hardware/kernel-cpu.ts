import { readFile } from 'node:fs/promises';
import type { Cpu } from '../../common/hardware.js';
import { parseCpuinfo } from './parsers.js';
import { CPU_SOURCES } from './probe.js';

/** Linux: the CPU as the kernel shows it, for both probes (probe.ts says why the kernel wins). */
export async function kernelCpu(): Promise<Cpu> {
  return { ...parseCpuinfo(await readFile('/proc/cpuinfo', 'utf8'), process.arch), sources: { ...CPU_SOURCES.kernel } };
}
