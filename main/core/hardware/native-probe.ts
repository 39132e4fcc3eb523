import { readdir } from 'node:fs/promises';
import { totalmem } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import {
  CpuFieldSchema,
  GpuFieldSchema,
  MigInstanceSchema,
  ProbeErrorCodeSchema,
  type Cpu,
  type Gpu,
  type GpuVendor,
  type ProviderInfo,
  type VendorReport,
} from '../../common/hardware.js';
import type { Addon } from '../native/addon-load.js';
import { namedByPciId, sysfsPciDevice } from './gpu-name.js';
import { probeIntelDrm } from './intel-drm.js';
import { osCpuModel } from './cpu-model.js';
import { kernelCpu } from './kernel-cpu.js';
import { systemPciNames, type PciNames } from './pci-ids.js';
import { blankGpu, cpuRecord, gpuName, normalizeBusId, probeError, vendorReport, type HardwareProbe } from './probe.js';

// What the addon returns (native/src/addon.cc). Parsed like any boundary: a stale build must fail loudly, not oddly.
const RawGpuSchema = z.object({
  index: z.number().int().min(0),
  name: z.string().nullable(),
  uuid: z.string().nullable(),
  pciBusId: z.string().nullable(),
  memoryTotalBytes: z.number().nullable(),
  memoryUsedBytes: z.number().nullable(),
  utilizationPercent: z.number().nullable(),
  temperatureC: z.number().nullable(),
  powerDrawMilliwatts: z.number().nullable(),
  powerLimitMilliwatts: z.number().nullable(),
  computeCapability: z.string().nullable(),
  unifiedMemory: z.boolean(),
  workingSetBytes: z.number().nullable(),
  gpuCores: z.number().nullable(),
  family: z.string().nullable(),
  errorCode: ProbeErrorCodeSchema.nullable(),
  errorMessage: z.string().nullable(),
  sources: z.partialRecord(GpuFieldSchema, z.string()),
  migEnabled: z.boolean().nullable(),
  mig: z.array(MigInstanceSchema),
});
const RawVendorSchema = z.object({
  status: z.enum(['found', 'absent', 'failed']),
  code: z.union([ProbeErrorCodeSchema, z.literal('')]),
  message: z.string(),
  driverVersion: z.string().nullable(),
  runtimeVersion: z.string().nullable(),
  gpus: z.array(RawGpuSchema),
});
const RawCpuSchema = z.object({
  vendor: z.string(),
  model: z.string(),
  arch: z.string(),
  cores: z.number(),
  threads: z.number(),
  features: z.array(z.string()),
  sources: z.partialRecord(CpuFieldSchema, z.string()),
});

export interface NativeProbeOptions {
  /** Library names or paths tried in order until one loads; defaults honour SYNOR_NVML_LIBRARY / SYNOR_ROCM_SMI_LIBRARY. */
  nvmlLibraries?: readonly string[];
  rocmLibraries?: readonly string[];
  levelZeroLibraries?: readonly string[];
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  /** Where sysfs is mounted ("/sys"): Intel GPUs, the bus ids of NVIDIA GPUs NVML cannot open, AMD's device ids. */
  sysRoot?: string;
  /** The PCI ID database AMD and Intel GPUs are named from (gpu-name.ts); the system's by default. */
  pciNames?: PciNames;
}

/**
 * Bus ids of the devices bound to the nvidia kernel driver, in NVML's order (PCI bus order). A GPU that fell off
 * the bus fails at nvmlDeviceGetHandleByIndex, so NVML cannot name it; nvidia-smi names it from here too.
 */
async function nvidiaBusIds(sysRoot: string): Promise<string[]> {
  const entries = await readdir(join(sysRoot, 'bus', 'pci', 'drivers', 'nvidia')).catch(() => []);
  return entries
    .filter((e) => /^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/i.test(e))
    .map(normalizeBusId)
    .sort();
}

export function defaultLibraries(
  env: NodeJS.ProcessEnv,
  platform: NodeJS.Platform,
): { nvml: string[]; rocm: string[]; levelZero: string[] } {
  const nvml = env['SYNOR_NVML_LIBRARY'];
  const rocm = env['SYNOR_ROCM_SMI_LIBRARY'];
  const levelZero = env['SYNOR_LEVEL_ZERO_LIBRARY'];
  return {
    // Current Windows drivers put nvml.dll in System32; older ones only under NVSMI.
    nvml: nvml
      ? [nvml]
      : platform === 'win32'
        ? ['nvml.dll', 'C:\\Program Files\\NVIDIA Corporation\\NVSMI\\nvml.dll']
        : ['libnvidia-ml.so.1'],
    // ROCm installs under /opt/rocm, which is not always on the loader's path.
    rocm: rocm ? [rocm] : ['librocm_smi64.so', '/opt/rocm/lib/librocm_smi64.so'],
    levelZero: levelZero ? [levelZero] : platform === 'win32' ? ['ze_loader.dll'] : ['libze_loader.so.1'],
  };
}

/**
 * Intel: Level Zero's readings where its loader answers, for the GPUs the DRM sysfs lists, keyed by bus id so the
 * device ids and indexes are the fallback's (the unique id Level Zero has is left out for that reason), and named by
 * the same rule (gpu-name.ts); the DRM read alone where there is no loader, or it fails on Linux.
 */
function intel(zero: VendorReport, drm: VendorReport, platform: NodeJS.Platform): VendorReport {
  // No loader, or one with no Intel GPU behind it (it ships with other drivers too): the DRM read answers.
  if (zero.status === 'absent' || (zero.status === 'found' && !zero.gpus.length) || (zero.status === 'failed' && platform === 'linux'))
    return drm;
  const byBus = new Map(drm.gpus.map((g) => [g.pciBusId, g]));
  const gpus = zero.gpus.map((g, i) => ({ ...g, uuid: null, index: byBus.get(g.pciBusId)?.index ?? drm.gpus.length + i }));
  return vendorReport('intel', {
    status: zero.status,
    ...(zero.error ? { code: zero.error.code } : {}),
    driverVersion: zero.driverVersion,
    gpus,
  });
}

/** Names the GPUs by their PCI device id (gpu-name.ts), read from sysfs by bus id: NVIDIA's keep the driver's. */
type Namer = (gpus: Gpu[]) => Promise<Gpu[]>;

async function vendor(
  name: GpuVendor,
  query: (library: string) => Promise<unknown>,
  libraries: readonly string[],
  { busIds = async () => [], named = async (gpus) => gpus }: { busIds?: () => Promise<string[]>; named?: Namer } = {},
): Promise<VendorReport> {
  let raw = RawVendorSchema.parse(await query(libraries[0] ?? ''));
  for (const library of libraries.slice(1)) {
    if (raw.status !== 'absent') break;
    raw = RawVendorSchema.parse(await query(library));
  }
  const knownBusIds = raw.gpus.some((g) => g.pciBusId === null) ? await busIds() : [];
  const read = raw.gpus.map((g) => ({
    ...blankGpu(name, g.index),
    name: gpuName(g.name),
    uuid: g.uuid,
    pciBusId: g.pciBusId === null ? (knownBusIds[g.index] ?? null) : normalizeBusId(g.pciBusId),
    memoryTotalBytes: g.unifiedMemory ? totalmem() : g.memoryTotalBytes,
    memoryUsedBytes: g.memoryUsedBytes,
    utilizationPercent: g.utilizationPercent,
    temperatureC: g.temperatureC,
    powerDrawW: g.powerDrawMilliwatts === null ? null : g.powerDrawMilliwatts / 1000,
    powerLimitW: g.powerLimitMilliwatts === null ? null : g.powerLimitMilliwatts / 1000,
    computeCapability: g.computeCapability,
    unifiedMemory: g.unifiedMemory,
    workingSetBytes: g.workingSetBytes,
    gpuCores: g.gpuCores,
    family: g.family,
    mig: g.migEnabled === null ? null : { enabled: g.migEnabled, instances: g.mig },
    // Drivers without a marketing name answer with an id ("0x1002"): the call answered, but not with a name.
    sources: g.name && !gpuName(g.name) ? { ...g.sources, name: `${g.sources.name}: "${g.name}" is an id, not a name` } : g.sources,
    error: g.errorCode ? probeError(name, g.errorCode, g.errorMessage ?? '') : null,
  }));
  const gpus = await named(read);
  return vendorReport(name, {
    status: raw.status,
    ...(raw.code ? { code: raw.code } : {}),
    detail: raw.message,
    driverVersion: raw.driverVersion,
    runtimeVersion: raw.runtimeVersion,
    gpus,
  });
}

/** Linux: the kernel's CPU, as the fallback reads it; elsewhere the addon's and the OS's model (probe.ts), with the call behind each field. */
async function cpu(addon: Addon, platform: NodeJS.Platform): Promise<Cpu> {
  if (platform === 'linux') return kernelCpu();
  if (!addon.cpu) throw new Error('The native addon cannot read this CPU: rebuild it with npm install');
  const raw = RawCpuSchema.parse(addon.cpu());
  const os = osCpuModel();
  if (!os) return { ...cpuRecord(raw), sources: raw.sources };
  return { ...cpuRecord({ ...raw, model: os.model }), sources: { ...raw.sources, model: os.source } };
}

/** The HardwareProbe over the N-API addon. */
export function createNativeProbe(addon: Addon, provider: ProviderInfo, options: NativeProbeOptions = {}): HardwareProbe {
  const libraries = defaultLibraries(options.env ?? process.env, options.platform ?? process.platform);
  const nvml = options.nvmlLibraries ?? libraries.nvml;
  const rocm = options.rocmLibraries ?? libraries.rocm;
  const levelZero = options.levelZeroLibraries ?? libraries.levelZero;
  const sysRoot = options.sysRoot ?? '/sys';
  const platform = options.platform ?? process.platform;
  const pciNames = options.pciNames ?? systemPciNames;
  const byPciId =
    (pciVendor: 'amd' | 'intel'): Namer =>
    async (gpus) =>
      namedByPciId(gpus, await Promise.all(gpus.map((g) => sysfsPciDevice(sysRoot, pciVendor, g.pciBusId))), pciNames);
  return {
    provider,
    async detect() {
      const [nvidia, amd, zero, drm, apple, cpuReport] = await Promise.all([
        vendor('nvidia', (lib) => addon.nvidia(lib), nvml, { busIds: () => nvidiaBusIds(sysRoot) }),
        vendor('amd', (lib) => addon.amd(lib), rocm, { named: byPciId('amd') }),
        vendor('intel', (lib) => addon.intel(lib), levelZero, { named: byPciId('intel') }),
        probeIntelDrm(sysRoot, platform, totalmem(), pciNames),
        vendor('apple', () => addon.apple(), ['']),
        cpu(addon, platform),
      ]);
      return {
        cpu: cpuReport,
        memoryBytes: totalmem(),
        vendors: { nvidia, amd, intel: intel(zero, drm, platform), apple },
      };
    },
  };
}
