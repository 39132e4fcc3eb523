import { release, totalmem } from 'node:os';
import {
  CpuFeatureSchema,
  GpuFieldSchema,
  type GpuField,
  type Cpu,
  type CpuFeature,
  type CpuField,
  type Gpu,
  type GpuVendor,
  type HardwareReport,
  type ProbeError,
  type ProbeErrorCode,
  type ProviderInfo,
  type VendorReport,
} from '../../common/hardware.js';
import { cpuModelName } from './cpu-model.js';
import { withSharedMemory } from './shared-memory.js';

/**
 * One truth per field. Where the native addon and the JS fallback could read a field from two places, this is the
 * one that wins, and both probes read it:
 *
 * | Field                  | Linux, both probes          | macOS, Windows: addon            | macOS, Windows: fallback     |
 * |------------------------|-----------------------------|----------------------------------|------------------------------|
 * | CPU vendor             | /proc/cpuinfo               | cpuid; macOS: sysctl             | systeminformation cpu()      |
 * | CPU model              | /proc/cpuinfo               | os.cpus() (else cpuid / sysctl)  | os.cpus() (else si cpu())    |
 * | CPU cores, threads     | /proc/cpuinfo               | sysctl; GetLogicalProcessorInfoEx | systeminformation cpu()      |
 * | CPU features           | /proc/cpuinfo               | cpuid + XGETBV; sysctl; Win32 API | systeminformation cpuFlags() |
 * | CPU arch               | process.arch                | the addon's build                | process.arch                 |
 * | memoryBytes            | os.totalmem() everywhere (the kernel's MemTotal)                                          |
 * | GPU name (AMD, Intel)  | the PCI ID database's name for the device id, else the driver's (gpu-name.ts)             |
 * | GPU readings           | the driver's own counter: its library (addon) or its tool (fallback), per Gpu.sources      |
 *
 * Why the kernel wins on Linux: on a virtual machine the hypervisor's cpuid brand string can differ from the name
 * the kernel shows ("Oxide Virtual Turin-like Processor" against "AMD EPYC"); /proc/cpuinfo is what lscpu, top and a
 * user's bug report show, the only name ARM, POWER and s390x have, and all the fallback can read. Its flags are the
 * features the kernel lets programs use (it clears those it turned off: clearcpuid=, errata). No clock is read, so
 * clocks have no second answer. Off Linux the model is the OS's own brand string, read by Node (os.cpus()) for both
 * probes: systeminformation rewrites it ("11th Gen Intel(R) Core(TM) i7-1165G7" loses its first word), and the addon
 * has none on Windows on Arm. Whatever the source, the model is spelled by one rule (cpu-model.ts: "Intel Core
 * i7-8650U" for "Intel(R) Core(TM) i7-8650U CPU @ 1.90GHz" and for systeminformation's "Intel® Core™ i7-8650U").
 */
export const CPU_SOURCES = {
  kernel: {
    vendor: '/proc/cpuinfo',
    model: '/proc/cpuinfo',
    arch: 'process.arch',
    cores: '/proc/cpuinfo',
    threads: '/proc/cpuinfo',
    features: '/proc/cpuinfo',
  },
  systeminformation: {
    vendor: 'systeminformation cpu()',
    model: 'systeminformation cpu()',
    arch: 'process.arch',
    cores: 'systeminformation cpu()',
    threads: 'systeminformation cpu()',
    features: 'systeminformation cpuFlags()',
  },
} as const satisfies Record<string, Record<CpuField, string>>;

/** Where memoryBytes comes from, in every probe. */
export const MEMORY_SOURCE = 'os.totalmem()';

/** The HardwareProbe port: one detection pass. The native addon and the JS fallback implement it with the same answers. */
export interface HardwareProbe {
  readonly provider: ProviderInfo;
  detect(): Promise<HardwareReport>;
}

export const VENDOR_NAME: Record<GpuVendor, string> = { nvidia: 'NVIDIA', amd: 'AMD', intel: 'Intel', apple: 'Apple' };

/** One sentence per code, shared by both providers so the user reads the same thing whichever one answered. */
export function probeError(vendor: GpuVendor, code: ProbeErrorCode, detail = ''): ProbeError {
  const v = VENDOR_NAME[vendor];
  const messages: Record<ProbeErrorCode, string> = {
    'not-installed': {
      nvidia: 'NVIDIA driver library not found',
      amd: 'AMD ROCm library not found',
      intel: 'No Intel GPU found',
      apple: 'No Metal GPU (Metal exists only on macOS)',
    }[vendor],
    'driver-not-loaded': `The ${v} driver is installed but not running: restart the computer, or reinstall the driver`,
    'driver-too-old': `The ${v} driver is too old for this app: update it`,
    'driver-mismatch': `The ${v} driver was updated but the old one is still running: restart the computer`,
    'no-permission': `This user may not query the ${v} driver`,
    'gpu-lost': 'The GPU stopped responding (lost from the bus): restart the computer to recover it',
    'reset-required': 'The GPU needs a reset after an error: restart the computer',
    'gpu-not-found': `The ${v} driver no longer finds this GPU: check that it is seated and powered, then restart the computer`,
    timeout: `The ${v} driver did not answer in time`,
    'driver-error': `The ${v} driver reported an error${detail ? `: ${detail}` : ''}`,
  };
  return { code, message: messages[code] };
}

export function vendorReport(
  vendor: GpuVendor,
  fields: {
    status: VendorReport['status'];
    code?: ProbeErrorCode;
    detail?: string;
    driverVersion?: string | null;
    runtimeVersion?: string | null;
    gpus?: Gpu[];
  },
): VendorReport {
  return {
    status: fields.status,
    error: fields.status === 'found' ? null : probeError(vendor, fields.code ?? 'driver-error', fields.detail),
    // Metal ships with the OS, so the OS release is its driver version.
    driverVersion: vendor === 'apple' && fields.status === 'found' ? release() : (fields.driverVersion ?? null),
    runtimeVersion: fields.runtimeVersion ?? null,
    gpus: [...(fields.gpus ?? [])].sort((a, b) => a.index - b.index).map((gpu) => withNotReported(withSharedMemory(gpu, totalmem()))),
  };
}

/** The readings a vendor tool's main report gives (nvidia-smi -q -x, rocm-smi --json): all but compute capability. */
export const REPORT_FIELDS: readonly GpuField[] = GpuFieldSchema.options.filter((field) => field !== 'computeCapability');

/** The readings each vendor's probes ask for; the others are not part of that vendor's answer at all. */
export const ASKED: Record<GpuVendor, readonly GpuField[]> = {
  nvidia: GpuFieldSchema.options,
  amd: REPORT_FIELDS,
  intel: ['name', 'pciBusId', 'memoryTotalBytes', 'temperatureC'],
  apple: ['name', 'memoryTotalBytes'],
};

/** A reading asked for and left null was declined by the driver; a GPU with an error has no readings to decline. */
function withNotReported(gpu: Gpu): Gpu {
  return { ...gpu, notReported: gpu.error ? [] : ASKED[gpu.vendor].filter((f) => gpu[f] === null) };
}

/** A GPU with every reading unknown; callers fill in what their source says. */
export function blankGpu(vendor: GpuVendor, index: number): Gpu {
  return {
    vendor,
    index,
    name: null,
    uuid: null,
    pciBusId: null,
    memoryTotalBytes: null,
    memoryUsedBytes: null,
    utilizationPercent: null,
    temperatureC: null,
    powerDrawW: null,
    powerLimitW: null,
    computeCapability: null,
    unifiedMemory: false,
    workingSetBytes: null,
    gpuCores: null,
    family: null,
    mig: null,
    notReported: [],
    sources: {},
    error: null,
  };
}

/** The tool for each field a command-line tool answered; ": N/A" where it gave no value. */
export function toolSources(gpu: Gpu, tool: string, fields: readonly GpuField[]): Gpu['sources'] {
  return Object.fromEntries(fields.map((f) => [f, gpu[f] === null ? `${tool}: N/A` : tool]));
}

/** The sentence shown for a reading in Gpu.notReported. */
export const NOT_REPORTED = 'not reported by the driver';

/** GPU names the drivers fall back to when they have no marketing name (rocm-smi "0x1002", old nvidia-smi). */
export function gpuName(raw: string | null | undefined): string | null {
  const name = raw?.trim() ?? '';
  return name && !/^0x[0-9a-f]+$/i.test(name) ? name : null;
}

/** ROCm unique ids in one spelling ("0x" + lowercase hex, no leading zeros) whichever tool printed them. */
export function normalizeUniqueId(raw: string | null | undefined): string | null {
  const hex = raw?.trim().toLowerCase().replace(/^0x/, '') ?? '';
  if (!/^[0-9a-f]+$/.test(hex)) return null;
  return `0x${hex.replace(/^0+(?=.)/, '')}`;
}

/** "00000000:01:00.0" (NVML, nvidia-smi) and "0000:01:00.0" (ROCm, sysfs) → "0000:01:00.0". */
export function normalizeBusId(id: string): string {
  const match = /^(?:([0-9a-f]+):)?([0-9a-f]{1,2}):([0-9a-f]{1,2})\.([0-7])$/i.exec(id.trim());
  if (!match) return id.trim().toLowerCase();
  const [, domain = '0', bus = '', device = '', fn = ''] = match;
  return `${domain.slice(-4).padStart(4, '0')}:${bus.padStart(2, '0')}:${device.padStart(2, '0')}.${fn}`.toLowerCase();
}

export function cpuVendor(raw: string): Cpu['vendor'] {
  if (/GenuineIntel|intel/i.test(raw)) return 'intel';
  if (/AuthenticAMD|\bamd\b/i.test(raw)) return 'amd';
  // The kernel's "CPU implementer" codes: 0x61 is Apple; ARM (0x41), Ampere, NVIDIA, APM… all make Arm cores.
  if (/apple|^0x61$/i.test(raw)) return 'apple';
  if (/^0x[0-9a-f]{2}$|\barm\b/i.test(raw)) return 'arm';
  return 'other';
}

export function avxSupport(features: readonly CpuFeature[]): 'none' | 'avx' | 'avx2' | 'avx512' {
  if (features.includes('avx512f')) return 'avx512';
  if (features.includes('avx2')) return 'avx2';
  return features.includes('avx') ? 'avx' : 'none';
}

/** Same spelling and order whatever the source; unknown names are dropped. */
export function cpuRecord(fields: {
  vendor: string;
  model: string;
  arch: string;
  cores: number;
  threads: number;
  features: Iterable<string>;
}): Cpu {
  const present = new Set(fields.features);
  return {
    vendor: cpuVendor(fields.vendor),
    model: cpuModelName(fields.model),
    arch: fields.arch,
    cores: fields.cores,
    threads: fields.threads,
    features: CpuFeatureSchema.options.filter((feature) => present.has(feature)),
  };
}
