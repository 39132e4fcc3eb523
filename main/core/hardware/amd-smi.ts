/**
 * What `amd-smi static --json` and `amd-smi metric --json` print, as the records the native addon yields. amd-smi
 * replaces rocm-smi (deprecated by AMD); the fallback asks it first. Releases differ in shape: ROCm 6 prints a list
 * of GPUs, ROCm 7 wraps the list in {"gpu_data": […]}; a reading is {"value": 6, "unit": "W"}, a bare number, or
 * "N/A". Sizes in "MB" are MiB (an 8 GiB card reports 8176 MB). Real captures and where they come from: ORIGINS.md.
 */
import type { Gpu, ProbeErrorCode } from '../../common/hardware.js';
import { pciId } from './gpu-name.js';
import { MIB, reading } from './parsers.js';
import { blankGpu, gpuName, normalizeBusId, normalizeUniqueId, REPORT_FIELDS } from './probe.js';

export interface AmdSmiLog {
  driverVersion: string | null;
  gpus: Gpu[];
  /** Each GPU's PCI device id (asic.device_id), for its name (gpu-name.ts). */
  deviceIds: (number | null)[];
}

type Json = Record<string, unknown>;
const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

const at = (record: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>((node, key) => (isRecord(node) ? node[key] : undefined), record);

const UNIT_BYTES: Record<string, number> = { B: 1, KB: 1024, MB: MIB, GB: 1024 * MIB };

/** A reading in base units (bytes for sizes, W, °C, %); null for "N/A" and anything that is not a value. */
function quantity(raw: unknown): number | null {
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : null;
  if (typeof raw === 'string') return reading(raw);
  if (!isRecord(raw)) return null;
  const value = quantity(raw['value']);
  const unit = typeof raw['unit'] === 'string' ? raw['unit'].toUpperCase() : '';
  return value === null ? null : value * (UNIT_BYTES[unit] ?? 1);
}

const text = (raw: unknown): string | null => (typeof raw === 'string' && raw.trim() && !/^N\/A$/i.test(raw.trim()) ? raw.trim() : null);

/** The per-GPU records of either shape, by amd-smi's GPU number. */
export function amdSmiGpus(data: unknown): Map<number, Json> {
  const list = Array.isArray(data) ? data : at(data, 'gpu_data');
  const records = Array.isArray(list) ? list.filter(isRecord) : [];
  return new Map(records.flatMap((r) => (typeof r['gpu'] === 'number' ? [[r['gpu'], r] as const] : [])));
}

const STATIC = 'amd-smi static --json';
const METRIC = 'amd-smi metric --json';

function gpuOf(index: number, fixed: Json | undefined, live: Json | undefined): Gpu {
  const bus = text(at(fixed, 'bus', 'bdf')) ?? text(at(fixed, 'bdf'));
  const liveTotal = quantity(at(live, 'mem_usage', 'total_vram'));
  const gpu: Gpu = {
    ...blankGpu('amd', index),
    name: gpuName(text(at(fixed, 'asic', 'market_name'))),
    // amd-smi's asic_serial is the unique id rocm-smi and ROCm SMI report (rsmi_dev_unique_id_get).
    uuid: normalizeUniqueId(text(at(fixed, 'asic', 'asic_serial'))),
    pciBusId: bus === null ? null : normalizeBusId(bus),
    memoryTotalBytes: liveTotal ?? quantity(at(fixed, 'vram', 'size')),
    memoryUsedBytes: quantity(at(live, 'mem_usage', 'used_vram')),
    utilizationPercent: quantity(at(live, 'usage', 'gfx_activity')),
    // MI300-class parts have no edge sensor; the hotspot (junction) one stands in, as with rocm-smi.
    temperatureC: quantity(at(live, 'temperature', 'edge')) ?? quantity(at(live, 'temperature', 'hotspot')),
    powerDrawW: quantity(at(live, 'power', 'socket_power')) ?? quantity(at(live, 'power', 'average_socket_power')),
    // The cap in force: "socket_power" under limit (ROCm 6), "ppt0.socket_power_limit" (ROCm 7).
    powerLimitW: quantity(at(fixed, 'limit', 'socket_power')) ?? quantity(at(fixed, 'limit', 'ppt0', 'socket_power_limit')),
  };
  const fromMetric = new Set(['memoryUsedBytes', 'utilizationPercent', 'temperatureC', 'powerDrawW']);
  if (liveTotal !== null) fromMetric.add('memoryTotalBytes');
  gpu.sources = Object.fromEntries(
    REPORT_FIELDS.map((f) => {
      const tool = fromMetric.has(f) ? METRIC : STATIC;
      return [f, gpu[f] === null ? `${tool}: N/A` : tool];
    }),
  );
  return gpu;
}

/** Both reports joined by GPU number; `metric` may be null when only `static` answered. */
export function parseAmdSmi(staticData: unknown, metricData: unknown): AmdSmiLog {
  const fixed = amdSmiGpus(staticData);
  const live = amdSmiGpus(metricData);
  const indexes = [...new Set([...fixed.keys(), ...live.keys()])].sort((a, b) => a - b);
  const driver = indexes.map((i) => text(at(fixed.get(i), 'driver', 'version'))).find((v) => v !== null) ?? null;
  return {
    driverVersion: driver,
    gpus: indexes.map((i) => gpuOf(i, fixed.get(i), live.get(i))),
    deviceIds: indexes.map((i) => pciId(at(fixed.get(i), 'asic', 'device_id'))),
  };
}

/** No JSON: what amd-smi's error line says, as the probe error codes. */
export function amdSmiFailure(output: string): ProbeErrorCode {
  if (/DRIVER_NOT_LOADED|driver (is )?not (loaded|initialized)|amdgpu not found/i.test(output)) return 'driver-not-loaded';
  if (/NO_PERM|permission/i.test(output)) return 'no-permission';
  return 'driver-error';
}
