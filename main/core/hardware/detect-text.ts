/**
 * What `npm run detect` prints: the detected hardware, which probe answered, and where every field came from, in a
 * form a user can paste into a bug report.
 */
import {
  type Cpu,
  type Device,
  type Gpu,
  type GpuField,
  type HardwareReport,
  type ProviderInfo,
  type VendorReport,
} from '../../common/hardware.js';
import { keysOf } from '../../common/keys.js';
import { allGpus, deviceId } from './classify.js';
import { ASKED, MEMORY_SOURCE, NOT_REPORTED, VENDOR_NAME } from './probe.js';

export interface Detection {
  provider: ProviderInfo;
  report: HardwareReport;
  devices: Device[];
  /** Where the report's own fields came from (the CPU's and GPUs' are in their records). */
  sources: { memoryBytes: string };
}

export function detection(provider: ProviderInfo, report: HardwareReport, devices: Device[]): Detection {
  return { provider, report, devices, sources: { memoryBytes: MEMORY_SOURCE } };
}

/** "  sources: vendor, model: /proc/cpuinfo; arch: process.arch": the CPU's fields grouped by where they came from. */
function cpuSourceLine(sources: Cpu['sources']): string[] {
  const bySource = new Map<string, string[]>();
  for (const [field, source] of Object.entries(sources ?? {})) bySource.set(source, [...(bySource.get(source) ?? []), field]);
  const parts = [...bySource].map(([source, fields]) => `${fields.join(', ')}: ${source}`);
  return parts.length ? [`  sources: ${parts.join('; ')}`] : [];
}

const GB = 1024 ** 3;
const gb = (bytes: number) => (bytes < GB ? `${Math.round(bytes / 1024 ** 2)} MiB` : `${(bytes / GB).toFixed(1)} GB`);

function value(gpu: Gpu, field: GpuField): string {
  const v = gpu[field];
  if (v === null) return NOT_REPORTED;
  if ((field === 'memoryTotalBytes' || field === 'memoryUsedBytes') && typeof v === 'number') return gb(v);
  if (field === 'utilizationPercent') return `${v} %`;
  if (field === 'temperatureC') return `${v} °C`;
  if (field === 'powerDrawW' || field === 'powerLimitW') return `${v} W`;
  return String(v);
}

function gpuLines(gpu: Gpu, device: Device | undefined): string[] {
  const state = device && device.unusable.length ? `not used: ${device.unusable.map((r) => r.message).join('; ')}` : 'usable';
  const lines = [`  GPU ${gpu.index}: ${gpu.name ?? device?.name ?? 'unnamed'} (${state})`, `    id: ${deviceId(gpu)}`];
  if (gpu.error) return [...lines, `    error: ${gpu.error.message}`];
  const fields = ASKED[gpu.vendor];
  const width = Math.max(...fields.map((f) => f.length));
  for (const field of fields) {
    const source = gpu.sources[field];
    lines.push(`    ${field.padEnd(width)}  ${value(gpu, field)}${source ? `   [${source}]` : ''}`);
  }
  if (gpu.unifiedMemory) lines.push('    memory is shared with the system');
  if (gpu.mig) {
    const instances = gpu.mig.instances.map(
      (i) =>
        `#${i.index} GPU instance ${i.gpuInstanceId}, compute instance ${i.computeInstanceId}${i.memoryTotalBytes === null ? '' : `, ${gb(i.memoryTotalBytes)}`}`,
    );
    lines.push(`    MIG: ${gpu.mig.enabled ? `on, ${instances.length} instances` : 'off'}`, ...instances.map((i) => `      ${i}`));
  }
  return lines;
}

function vendorLines(name: string, vendor: VendorReport, devices: Device[]): string[] {
  const versions = [
    vendor.driverVersion && `driver ${vendor.driverVersion}`,
    vendor.runtimeVersion && `CUDA ${vendor.runtimeVersion}`,
  ].filter(Boolean);
  const head = `${name}: ${vendor.status}${versions.length ? `, ${versions.join(', ')}` : ''}${vendor.error ? ` (${vendor.error.message})` : ''}`;
  const byId = new Map(devices.map((d) => [d.id, d]));
  return [
    head,
    ...vendor.gpus.flatMap((g) => gpuLines(g, byId.get(deviceId(g)))),
    ...(vendor.status === 'found' && !vendor.gpus.length ? ['  no GPU'] : []),
  ];
}

export function formatDetection({ provider, report, devices, sources }: Detection, at: Date): string {
  const { cpu } = report;
  const vendors = keysOf(report.vendors).map((name) => [name, report.vendors[name]] as const);
  return [
    `Synor hardware detection, ${at.toISOString()}`,
    `Probe: ${provider.kind} (${provider.reason})`,
    `CPU: ${cpu.model || 'unnamed'} (${cpu.vendor}, ${cpu.arch}), ${cpu.cores} cores, ${cpu.threads} threads, features: ${cpu.features.join(' ') || 'none'}`,
    ...cpuSourceLine(cpu.sources),
    `Memory: ${gb(report.memoryBytes)}   [${sources.memoryBytes}]`,
    ...vendors.flatMap(([key, vendor]) => vendorLines(VENDOR_NAME[key], vendor, devices)),
    `GPUs found: ${allGpus(report).length}`,
  ].join('\n');
}
