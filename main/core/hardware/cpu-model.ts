/**
 * One spelling of a CPU's model name, whichever source read it. The OS's brand string ("Intel(R) Core(TM) i7-8650U
 * CPU @ 1.90GHz": cpuid's, as /proc/cpuinfo, the Windows registry and macOS's sysctl show it) and
 * systeminformation's rewrite of it ("Intel®" + "Core™ i7-8650U") both become "Intel Core i7-8650U": trademark signs
 * in either spelling dropped, the base clock after "@" dropped (a rating, not part of the name; AMD's strings never
 * carry it), the filler word "CPU" dropped, spaces collapsed.
 */
import { cpus } from 'node:os';

export function cpuModelName(raw: string): string {
  // ®, ™ and © as escapes: a character outside ASCII makes V8 keep the agent's whole bundle at two bytes a character.
  return raw
    .replace(/@.*$/, '')
    .replace(/\((?:R|TM|C)\)|[\u00AE\u2122\u00A9]/gi, '')
    .replace(/\bCPU\b/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * Off Linux, the model both probes report: the OS's own brand string as Node reads it (the registry's
 * ProcessorNameString on Windows, sysctl machdep.cpu.brand_string on macOS), so the addon and the fallback cannot
 * differ. Null where the OS names no CPU; each probe then says what its own source read.
 */
export function osCpuModel(): { model: string; source: string } | null {
  const model = cpus()[0]?.model.trim() ?? '';
  return model ? { model, source: 'os.cpus()' } : null;
}
