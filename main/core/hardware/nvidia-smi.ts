/**
 * What nvidia-smi prints, as the records the native addon yields: `nvidia-smi -q -x` (nvsmi_device_v10…v13.dtd),
 * `--query-gpu=pci.bus_id,compute_cap --format=csv,noheader` and its error lines. Real captures and where they come
 * from: test/fixtures/hardware/ORIGINS.md.
 */
import type { Gpu, MigInstance, ProbeErrorCode } from '../../common/hardware.js';
import { find, MIB, parseXml, reading, textAt, type XmlNode } from './parsers.js';
import { blankGpu, gpuName, normalizeBusId, REPORT_FIELDS, toolSources } from './probe.js';

export interface NvidiaSmiLog {
  driverVersion: string | null;
  cudaVersion: string | null;
  /** Numbered in listing order; the caller renumbers them once it knows the GPUs nvidia-smi could not open. */
  gpus: Gpu[];
  /** pci_device_id ("218410DE") by bus id, to name the compute capability when the driver cannot. */
  pciDeviceIds: Map<string, string>;
}

const XML_SOURCE = 'nvidia-smi -q -x';

/** "Not Found", "N/A" and bracketed errors are not values. */
const text = (value: string | null) => (value && /^[\w-]/.test(value) && !/^(N\/A|Not Found)$/i.test(value) ? value : null);

function migOf(gpu: XmlNode): Gpu['mig'] {
  const mode = textAt(gpu, 'mig_mode', 'current_mig');
  if (mode !== 'Enabled' && mode !== 'Disabled') return null;
  const instances = (find(gpu, 'mig_devices')?.children ?? [])
    .filter((c) => c.name === 'mig_device')
    .map((device): MigInstance => ({
      index: Number(textAt(device, 'index')),
      gpuInstanceId: Number(textAt(device, 'gpu_instance_id')),
      computeInstanceId: Number(textAt(device, 'compute_instance_id')),
      memoryTotalBytes: reading(textAt(device, 'fb_memory_usage', 'total'), MIB),
      memoryUsedBytes: reading(textAt(device, 'fb_memory_usage', 'used'), MIB),
    }));
  return { enabled: mode === 'Enabled', instances };
}

function gpuOf(gpu: XmlNode, index: number): Gpu {
  // Drivers before 530 call it power_readings; v13 (570+) has the 1 s average NVML reports and an instant reading.
  // Each element can be present and still say "N/A" (GeForce cards on 575+ average nothing): the first real reading wins.
  const power = find(gpu, 'gpu_power_readings') ?? find(gpu, 'power_readings');
  const firstReading = (...names: string[]) => names.map((name) => reading(textAt(power, name))).find((w) => w !== null) ?? null;
  return {
    ...blankGpu('nvidia', index),
    name: gpuName(text(textAt(gpu, 'product_name'))),
    uuid: text(textAt(gpu, 'uuid')),
    pciBusId: normalizeBusId(textAt(gpu, 'pci', 'pci_bus_id') ?? gpu.attrs['id'] ?? ''),
    memoryTotalBytes: reading(textAt(gpu, 'fb_memory_usage', 'total'), MIB),
    // "used" leaves out the driver's reservation, as nvmlDeviceGetMemoryInfo_v2 does.
    memoryUsedBytes: reading(textAt(gpu, 'fb_memory_usage', 'used'), MIB),
    utilizationPercent: reading(textAt(gpu, 'utilization', 'gpu_util')),
    temperatureC: reading(textAt(gpu, 'temperature', 'gpu_temp')),
    powerDrawW: firstReading('average_power_draw', 'power_draw', 'instant_power_draw'),
    powerLimitW: firstReading('current_power_limit', 'enforced_power_limit'),
    mig: migOf(gpu),
  };
}

export function parseNvidiaSmiXml(xml: string): NvidiaSmiLog {
  const log = find(parseXml(xml), 'nvidia_smi_log');
  if (!log) throw new Error('not nvidia-smi XML: no <nvidia_smi_log>');
  const nodes = log.children.filter((c) => c.name === 'gpu');
  const gpus = nodes.map(gpuOf).map((g) => ({ ...g, sources: toolSources(g, XML_SOURCE, REPORT_FIELDS) }));
  const pciDeviceIds = new Map(
    nodes.flatMap((node, i) => {
      const id = textAt(node, 'pci', 'pci_device_id');
      return id && gpus[i]?.pciBusId ? [[gpus[i].pciBusId, id] as const] : [];
    }),
  );
  const cuda = text(textAt(log, 'cuda_version'));
  return { driverVersion: text(textAt(log, 'driver_version')), cudaVersion: cuda, gpus, pciDeviceIds };
}

/** The driver predates the field (before 510 for compute_cap). */
export const isUnknownField = (output: string) => /is not a valid field to query/i.test(output);

/** `pci.bus_id[, compute_cap]` CSV rows by normalized bus id: nvidia-smi's own spelling (for `-i`) and "8.9" or null. */
export function parseQueryRows(csv: string): Map<string, { id: string; computeCapability: string | null }> {
  const rows = new Map<string, { id: string; computeCapability: string | null }>();
  for (const line of csv.split('\n')) {
    const [bus = '', cap = ''] = line.split(',').map((s) => s.trim());
    if (/^[0-9a-f]{4,8}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/i.test(bus)) {
      rows.set(normalizeBusId(bus), { id: bus, computeCapability: /^\d+\.\d+$/.test(cap) ? cap : null });
    }
  }
  return rows;
}

export interface NvidiaSmiFailure {
  /** null when the line names only the index ("for GPU 0: Unknown Error"). */
  pciBusId: string | null;
  code: ProbeErrorCode;
  detail: string;
}

const BUS = '[0-9a-f]{4,8}:[0-9a-f]{2}:[0-9a-f]{2}\\.[0-7]';
// "…for GPU0000:41:00.0: GPU is lost…" (Linux), "…for GPU1: 0000:34:00.0: Unknown Error", "…for GPU 0: Unknown
// Error", and Windows builds' "Unable to detect the device handle…".
const FAILURE = new RegExp(
  `Unable to (?:determine|detect) the device handle for GPU\\s*(?:(${BUS})|\\d+(?::\\s*(${BUS}))?):\\s*(.*)`,
  'gi',
);

/** GPUs nvidia-smi could not open, from its error lines (stdout or stderr, depending on the build). */
export function parseNvidiaSmiFailures(output: string): NvidiaSmiFailure[] {
  return [...output.matchAll(FAILURE)].map(([, bus, busAfterIndex, detail = '']) => {
    const id = bus ?? busAfterIndex;
    const code: ProbeErrorCode = /lost|fallen off/i.test(detail) ? 'gpu-lost' : /reset/i.test(detail) ? 'reset-required' : 'driver-error';
    return { pciBusId: id ? normalizeBusId(id) : null, code, detail: detail.trim() };
  });
}

/** "No devices were found" (exit 6): the driver runs and sees no GPU, which is an answer, not a failure. */
export const noDevices = (output: string) => /No devices were found/i.test(output);

/** nvidia-smi's documented exit codes, as probe error codes. */
export function nvidiaSmiExitCode(code: number | null): ProbeErrorCode {
  switch (code) {
    case 4:
      return 'no-permission';
    case 9:
      return 'driver-not-loaded';
    case 12:
      return 'not-installed'; // NVML shared library not found
    case 15:
      return 'gpu-lost';
    case 18:
      return 'driver-mismatch';
    case null:
    default:
      return 'driver-error';
  }
}
