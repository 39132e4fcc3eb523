import { totalmem } from 'node:os';
import { byText } from '../../common/text.js';
import type { Cpu, Gpu, GpuVendor, ProviderInfo, VendorReport } from '../../common/hardware.js';
import { amdFromTools } from './amd-tools.js';
import { probeIntelDrm } from './intel-drm.js';
import {
  isUnknownField,
  noDevices,
  nvidiaSmiExitCode,
  parseNvidiaSmiFailures,
  parseNvidiaSmiXml,
  parseQueryRows,
  type NvidiaSmiLog,
} from './nvidia-smi.js';
import { kernelCpu } from './kernel-cpu.js';
import { parseSystemProfilerDisplays } from './parsers.js';
import { osCpuModel } from './cpu-model.js';
import { computeCapabilityFromPciId } from './pci-compute.js';
import { systemPciNames, type PciNames } from './pci-ids.js';
import { blankGpu, CPU_SOURCES, cpuRecord, probeError, vendorReport, type HardwareProbe } from './probe.js';
import { firstLine, output, run, type Run } from './tool-run.js';

export interface FallbackProbeOptions {
  /** Environment for the vendor tools (PATH decides which nvidia-smi / rocm-smi runs). */
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  timeoutMs?: number;
  /** Where sysfs is mounted ("/sys"): Intel GPUs are read from its class/drm. */
  sysRoot?: string;
  /** The PCI ID database AMD and Intel GPUs are named from (gpu-name.ts); the system's by default. */
  pciNames?: PciNames;
}

const QUERY = ['--query-gpu=pci.bus_id,compute_cap', '--format=csv,noheader'];

type Tool = (args: string[]) => Promise<Run>;

/** Healthy GPUs by bus id (with compute capability where the driver knows the field), and whether it does. */
async function queryRows(smi: Tool): Promise<{ rows: ReturnType<typeof parseQueryRows>; knowsComputeCap: boolean }> {
  const q = await smi(QUERY);
  if (!isUnknownField(output(q))) return { rows: parseQueryRows(q.stdout), knowsComputeCap: true };
  return { rows: parseQueryRows((await smi(['--query-gpu=pci.bus_id', '--format=csv,noheader'])).stdout), knowsComputeCap: false };
}

/** When one GPU is lost, `-q -x` prints only the error line: each healthy GPU is then asked for on its own. */
async function oneByOne(smi: Tool, busIds: Iterable<string>): Promise<NvidiaSmiLog | null> {
  const logs = await Promise.all(
    [...busIds].map(async (bus) => {
      const r = await smi(['-q', '-x', '-i', bus]);
      return r.stdout.includes('<nvidia_smi_log') ? parseNvidiaSmiXml(r.stdout) : null;
    }),
  );
  const found = logs.filter((l): l is NvidiaSmiLog => l !== null);
  const [first] = found;
  if (!first) return null;
  return {
    driverVersion: first.driverVersion,
    cudaVersion: first.cudaVersion,
    gpus: found.flatMap((l) => l.gpus),
    pciDeviceIds: new Map(found.flatMap((l) => [...l.pciDeviceIds])),
  };
}

async function nvidia(env: NodeJS.ProcessEnv, timeoutMs: number): Promise<VendorReport> {
  const smi: Tool = (args) => run('nvidia-smi', args, env, timeoutMs);
  const q = await smi(['-q', '-x']);
  if (q.missing) return vendorReport('nvidia', { status: 'absent', code: 'not-installed' });
  if (q.timedOut) return vendorReport('nvidia', { status: 'failed', code: 'timeout' });
  const failures = parseNvidiaSmiFailures(output(q));
  const hasXml = q.stdout.includes('<nvidia_smi_log');
  if (!hasXml && !failures.length) {
    if (noDevices(output(q))) return vendorReport('nvidia', { status: 'found' });
    const code = nvidiaSmiExitCode(q.exitCode);
    return vendorReport('nvidia', { status: code === 'not-installed' ? 'absent' : 'failed', code, detail: firstLine(q) });
  }
  const { rows, knowsComputeCap } = await queryRows(smi);
  const log = hasXml
    ? parseNvidiaSmiXml(q.stdout)
    : await oneByOne(
        smi,
        [...rows.values()].map((r) => r.id),
      );
  const lost = failures.map((f) => ({ ...blankGpu('nvidia', 0), pciBusId: f.pciBusId, error: probeError('nvidia', f.code, f.detail) }));
  const healthy = (log?.gpus ?? []).map((g): Gpu => {
    const bus = g.pciBusId ?? '';
    const derived = computeCapabilityFromPciId(log?.pciDeviceIds.get(bus) ?? null);
    const computeCapability = knowsComputeCap ? (rows.get(bus)?.computeCapability ?? null) : derived;
    const source = knowsComputeCap
      ? 'nvidia-smi --query-gpu=compute_cap'
      : `PCI device id ${log?.pciDeviceIds.get(bus) ?? '?'} (the driver predates compute_cap)`;
    return { ...g, computeCapability, sources: { ...g.sources, computeCapability: source } };
  });
  // NVML numbers GPUs in PCI bus order; nvidia-smi lists working ones only, so the order is rebuilt from bus ids.
  const gpus = [...healthy, ...lost].sort((a, b) => byText(a.pciBusId ?? '~', b.pciBusId ?? '~')).map((g, index) => ({ ...g, index }));
  return vendorReport('nvidia', {
    status: 'found',
    driverVersion: log?.driverVersion ?? null,
    runtimeVersion: log?.cudaVersion ?? null,
    gpus,
  });
}

async function apple(env: NodeJS.ProcessEnv, timeoutMs: number, platform: NodeJS.Platform): Promise<VendorReport> {
  if (platform !== 'darwin') return vendorReport('apple', { status: 'absent', code: 'not-installed' });
  const r = await run('system_profiler', ['SPDisplaysDataType', '-json'], env, timeoutMs);
  if (r.timedOut) return vendorReport('apple', { status: 'failed', code: 'timeout' });
  const gpus = r.exitCode === 0 ? parseSystemProfilerDisplays(r.stdout, totalmem()) : [];
  // Exit 0 with nothing readable (empty, or cut short) is a failure of this tool, not "no GPU".
  if (gpus === null)
    return vendorReport('apple', { status: 'failed', code: 'driver-error', detail: "macOS's display report was empty or cut short" });
  return gpus.length
    ? vendorReport('apple', { status: 'found', gpus })
    : vendorReport('apple', { status: 'absent', code: 'not-installed' });
}

/** si's flag spellings ("sse4.2", "avx1.0" on macOS) → /proc/cpuinfo's. */
const siFlag = (flag: string) =>
  flag
    .toLowerCase()
    .replace('.', '_')
    .replace(/^avx1_0$/, 'avx');

async function cpu(platform: NodeJS.Platform): Promise<Cpu> {
  if (platform === 'linux') return kernelCpu();
  // Loaded only here (macOS and Windows without the addon): loaded at start it costs the always-on agent ~2 MB of heap.
  const { default: si } = await import('systeminformation');
  const [info, flags] = await Promise.all([si.cpu(), si.cpuFlags()]);
  const features = flags.split(/\s+/).map(siFlag);
  if (process.arch === 'arm64') features.push('neon'); // mandatory on arm64, rarely listed
  const os = osCpuModel();
  const record = cpuRecord({
    vendor: info.manufacturer,
    model: os?.model ?? `${info.manufacturer} ${info.brand}`,
    arch: process.arch,
    cores: info.physicalCores,
    threads: info.cores,
    features,
  });
  return { ...record, sources: { ...CPU_SOURCES.systeminformation, ...(os ? { model: os.source } : {}) } };
}

/** Whatever one vendor's tool prints, even what breaks its reader, is that vendor's failure, never the whole detection's. */
const settle = (vendor: GpuVendor, report: Promise<VendorReport>): Promise<VendorReport> =>
  report.catch(() => vendorReport(vendor, { status: 'failed', code: 'driver-error', detail: "its tool's answer could not be read" }));

/** The HardwareProbe without the addon: vendor command-line tools, /proc/cpuinfo and systeminformation. */
export function createFallbackProbe(provider: ProviderInfo, options: FallbackProbeOptions = {}): HardwareProbe {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const timeoutMs = options.timeoutMs ?? 15_000;
  const sysRoot = options.sysRoot ?? '/sys';
  const pciNames = options.pciNames ?? systemPciNames;
  return {
    provider,
    async detect() {
      const [nvidiaReport, amdReport, intelReport, appleReport, cpuReport] = await Promise.all([
        settle('nvidia', nvidia(env, timeoutMs)),
        settle('amd', amdFromTools(env, timeoutMs, { names: pciNames, sysRoot })),
        settle('intel', probeIntelDrm(sysRoot, platform, totalmem(), pciNames)),
        settle('apple', apple(env, timeoutMs, platform)),
        cpu(platform),
      ]);
      return {
        cpu: cpuReport,
        memoryBytes: totalmem(),
        vendors: { nvidia: nvidiaReport, amd: amdReport, intel: intelReport, apple: appleReport },
      };
    },
  };
}
