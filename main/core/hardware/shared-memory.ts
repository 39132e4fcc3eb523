/**
 * GPUs without memory of their own, told by their name's family. An AMD APU reports only its carve-out (the 512 MiB
 * the firmware set aside for a Radeon 680M) and then uses system memory through the GTT like Intel's integrated GPUs
 * and Apple's; an NVIDIA SoC (GB10, Jetson) shares system memory and NVML declines the memory reading altogether.
 * Both are classed as shared-memory devices whose budget is the system's memory, or the carve-out where the firmware
 * set aside more than the system keeps (a 96 GB carve-out out of 128 GB leaves the OS 32 GB).
 */
import type { Gpu } from '../../common/hardware.js';

// Radeon 680M/780M/890M, 8060S; "Radeon Graphics" and Vega iGPUs; pci.ids codenames of APUs without a bracketed name.
const AMD_APU =
  /\bRadeon(?:\(TM\))?\s+(?:\d{3,4}[MS]|Graphics|Vega \d+)\b|\b(?:Raven|Picasso|Renoir|Cezanne|Lucienne|Barcelo|Rembrandt|Mendocino|Phoenix\d?|Hawk Point|Strix|Krackan|Van ?Gogh)\b/i;
const NVIDIA_SOC = /\b(?:GB10|Orin|Thor|Xavier|Tegra)\b/i;

export function isSharedMemory(gpu: Gpu): boolean {
  const name = gpu.name ?? '';
  if (gpu.vendor === 'amd') return AMD_APU.test(name);
  return gpu.vendor === 'nvidia' && NVIDIA_SOC.test(name);
}

/** The GPU as a shared-memory device when its family is one; otherwise unchanged. A GPU with an error is left as it is. */
export function withSharedMemory(gpu: Gpu, systemMemoryBytes: number): Gpu {
  if (gpu.unifiedMemory || gpu.error || !isSharedMemory(gpu)) return gpu;
  const own = gpu.memoryTotalBytes ?? 0;
  const source = own > systemMemoryBytes ? 'its carve-out, larger than system memory (integrated GPU)' : 'system memory (integrated GPU)';
  return {
    ...gpu,
    unifiedMemory: true,
    memoryTotalBytes: Math.max(own, systemMemoryBytes),
    sources: { ...gpu.sources, memoryTotalBytes: source },
  };
}
