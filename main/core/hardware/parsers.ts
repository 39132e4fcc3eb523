/**
 * Parsers for what the vendor tools print, used by the JS fallback. Each returns the same records the native addon
 * yields, so both providers give identical answers. Formats: `nvidia-smi -q -x` (nvsmi_device_v12.dtd),
 * `nvidia-smi --query-gpu=pci.bus_id,compute_cap --format=csv,noheader`, `rocm-smi --json`,
 * `system_profiler SPDisplaysDataType -json`, and Linux /proc/cpuinfo.
 */
import type { Cpu, Gpu, ProbeErrorCode } from '../../common/hardware.js';
import { blankGpu, cpuRecord, normalizeBusId } from './probe.js';

// ---- a minimal XML reader (nvidia-smi's output: elements, attributes, text; no namespaces or CDATA) ----------

export interface XmlNode {
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
  text: string;
}

const decode = (s: string) =>
  s.replace(/&(lt|gt|amp|quot|apos);/g, (_, e: string) => ({ lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" })[e] ?? '');

export function parseXml(xml: string): XmlNode {
  const root: XmlNode = { name: '#root', attrs: {}, children: [], text: '' };
  const stack = [root];
  const token = /<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<!DOCTYPE[^>]*>|<(\/?)([A-Za-z_][\w.-]*)([^>]*?)(\/?)>|([^<]+)/g;
  for (const [, close, name, rest = '', selfClose, text] of xml.matchAll(token)) {
    const top = stack.at(-1)!;
    if (text !== undefined) top.text += decode(text);
    if (!name) continue;
    if (close) {
      if (stack.length > 1 && top.name === name) stack.pop();
      continue;
    }
    const attrs = Object.fromEntries([...rest.matchAll(/([\w.-]+)\s*=\s*"([^"]*)"/g)].map(([, k = '', v = '']) => [k, decode(v)]));
    const node: XmlNode = { name, attrs, children: [], text: '' };
    top.children.push(node);
    if (!selfClose) stack.push(node);
  }
  return root;
}

function find(node: XmlNode | undefined, ...path: string[]): XmlNode | undefined {
  return path.reduce<XmlNode | undefined>((at, name) => at?.children.find((c) => c.name === name), node);
}
const textAt = (node: XmlNode | undefined, ...path: string[]) => find(node, ...path)?.text.trim() ?? null;

/** "41 C", "87.45 W", "37 %" → number; "N/A", "[Not Supported]", "[Unknown Error]" → null. */
function reading(value: string | null | undefined, scale = 1): number | null {
  if (!value || /^(N\/A|\[.*\])$/i.test(value.trim())) return null;
  const number = Number.parseFloat(value);
  return Number.isFinite(number) ? number * scale : null;
}
const MIB = 1024 * 1024;

// ---- nvidia-smi ---------------------------------------------------------------------------------------------

export interface NvidiaSmiLog {
  driverVersion: string | null;
  cudaVersion: string | null;
  /** Numbered in listing order; the caller renumbers them once it knows the GPUs nvidia-smi could not open. */
  gpus: Gpu[];
}

export function parseNvidiaSmiXml(xml: string): NvidiaSmiLog {
  const log = find(parseXml(xml), 'nvidia_smi_log');
  if (!log) throw new Error('not nvidia-smi XML: no <nvidia_smi_log>');
  const gpus = log.children
    .filter((c) => c.name === 'gpu')
    .map((gpu, index) => {
      // Drivers before 530 call it power_readings and power_limit.
      const power = find(gpu, 'gpu_power_readings') ?? find(gpu, 'power_readings');
      return {
        ...blankGpu('nvidia', index),
        name: textAt(gpu, 'product_name'),
        uuid: textAt(gpu, 'uuid'),
        pciBusId: normalizeBusId(textAt(gpu, 'pci', 'pci_bus_id') ?? gpu.attrs['id'] ?? ''),
        memoryTotalBytes: reading(textAt(gpu, 'fb_memory_usage', 'total'), MIB),
        memoryUsedBytes: reading(textAt(gpu, 'fb_memory_usage', 'used'), MIB),
        utilizationPercent: reading(textAt(gpu, 'utilization', 'gpu_util')),
        temperatureC: reading(textAt(gpu, 'temperature', 'gpu_temp')),
        powerDrawW: reading(textAt(power, 'power_draw') ?? textAt(power, 'instant_power_draw')),
        powerLimitW: reading(textAt(power, 'current_power_limit') ?? textAt(power, 'enforced_power_limit')),
      };
    });
  return { driverVersion: textAt(log, 'driver_version'), cudaVersion: textAt(log, 'cuda_version'), gpus };
}

/** `pci.bus_id, compute_cap` CSV rows → bus id → "8.9". */
export function parseComputeCaps(csv: string): Map<string, string> {
  const caps = new Map<string, string>();
  for (const line of csv.split('\n')) {
    const [bus, cap] = line.split(',').map((s) => s.trim());
    if (bus && cap && /^\d+\.\d+$/.test(cap)) caps.set(normalizeBusId(bus), cap);
  }
  return caps;
}

/** GPUs nvidia-smi could not open: "Unable to determine the device handle for GPU0000:41:00.0: GPU is lost. …". */
export function parseNvidiaSmiFailures(stderr: string): { pciBusId: string; code: ProbeErrorCode; detail: string }[] {
  return [...stderr.matchAll(/Unable to determine the device handle for GPU\s*([0-9a-fA-F:.]+):\s*(.*)/g)].map(([, bus = '', detail = '']) => ({
    pciBusId: normalizeBusId(bus),
    code: /lost/i.test(detail) ? 'gpu-lost' : 'driver-error',
    detail: detail.trim(),
  }));
}

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
    default:
      return 'driver-error';
  }
}

// ---- rocm-smi -----------------------------------------------------------------------------------------------

export interface RocmSmiLog {
  driverVersion: string | null;
  gpus: Gpu[];
}

/** Keys changed case across ROCm releases ("Card series" / "Card Series"), so they are matched loosely. */
function field(record: Record<string, unknown>, pattern: RegExp): string | null {
  const entry = Object.entries(record).find(([k]) => pattern.test(k));
  const value = typeof entry?.[1] === 'string' ? entry[1].trim() : null;
  return value && !/^(N\/A|unknown)$/i.test(value) ? value : null;
}

export function parseRocmSmiJson(json: string): RocmSmiLog {
  const data: unknown = JSON.parse(json);
  if (!data || typeof data !== 'object') throw new Error('not rocm-smi JSON');
  const entries = Object.entries(data as Record<string, Record<string, unknown>>);
  const system = entries.find(([k]) => k === 'system')?.[1] ?? {};
  const gpus = entries
    .filter(([k]) => /^card\d+$/.test(k))
    .map(([k, card]) => {
      const bus = field(card, /^pci bus$/i);
      return {
        ...blankGpu('amd', Number(k.slice(4))),
        name: field(card, /^card series$/i),
        uuid: field(card, /^unique id$/i)?.toLowerCase() ?? null,
        pciBusId: bus === null ? null : normalizeBusId(bus),
        memoryTotalBytes: reading(field(card, /^vram total memory \(b\)$/i)),
        memoryUsedBytes: reading(field(card, /^vram total used memory \(b\)$/i)),
        utilizationPercent: reading(field(card, /^gpu use \(%\)$/i)),
        temperatureC: reading(field(card, /^temperature \(sensor edge\) \(c\)$/i)),
        powerDrawW: reading(field(card, /^(average|current socket) graphics package power \(w\)$/i)),
        powerLimitW: reading(field(card, /^max graphics package power \(w\)$/i)),
      };
    });
  return { driverVersion: field(system, /^driver version$/i), gpus };
}

/** "ROCm SMI returned 8 (the expected value is 0)" → the rsmi_status_t, as the native probe maps it. */
export function rocmSmiFailure(output: string): ProbeErrorCode {
  const status = Number(/returned (\d+)/.exec(output)?.[1]);
  if (status === 8) return 'driver-not-loaded';
  if (status === 4) return 'no-permission';
  return 'driver-error';
}

// ---- system_profiler ----------------------------------------------------------------------------------------

/** "16 GB" / "8192 MB" → bytes. */
function size(value: unknown): number | null {
  const match = typeof value === 'string' ? /([\d.]+)\s*(MB|GB)/i.exec(value) : null;
  return match ? Number(match[1]) * (match[2]!.toUpperCase() === 'GB' ? 1024 : 1) * MIB : null;
}

export function parseSystemProfilerDisplays(json: string, systemMemoryBytes: number): Gpu[] {
  const data = JSON.parse(json) as { SPDisplaysDataType?: Record<string, unknown>[] };
  return (data.SPDisplaysDataType ?? []).map((item, index) => {
    // macOS 12+ says spdisplays_vendor, older releases sppci_vendor; integrated GPUs list shared VRAM.
    const vendor = String(item['spdisplays_vendor'] ?? item['sppci_vendor'] ?? '');
    const unified = /apple/i.test(vendor) || item['spdisplays_vram_shared'] !== undefined;
    const cores = Number.parseInt(String(item['sppci_cores'] ?? ''), 10);
    return {
      ...blankGpu('apple', index),
      name: String(item['sppci_model'] ?? item['_name'] ?? '') || null,
      memoryTotalBytes: unified ? systemMemoryBytes : size(item['spdisplays_vram'] ?? item['_spdisplays_vram']),
      unifiedMemory: unified,
      gpuCores: Number.isFinite(cores) ? cores : null,
    };
  });
}

// ---- /proc/cpuinfo ------------------------------------------------------------------------------------------

const ARM_FEATURES: Record<string, string> = { asimd: 'neon', asimddp: 'dotprod', sve: 'sve' };

export function parseCpuinfo(text: string, arch: string): Cpu {
  const blocks = text
    .split(/\n\s*\n/)
    .map((block) => new Map(block.split('\n').flatMap((line) => {
      const at = line.indexOf(':');
      return at < 0 ? [] : [[line.slice(0, at).trim(), line.slice(at + 1).trim()] as const];
    })))
    .filter((block) => block.has('processor'));
  const first = blocks[0] ?? new Map<string, string>();
  const cores = new Set(blocks.map((b) => `${b.get('physical id') ?? 0}/${b.get('core id') ?? b.get('processor')}`));
  const flags = (first.get('flags') ?? first.get('Features') ?? '').split(/\s+/);
  return cpuRecord({
    vendor: first.get('vendor_id') ?? first.get('CPU implementer') ?? '',
    model: first.get('model name') ?? '',
    arch,
    cores: cores.size,
    threads: blocks.length,
    features: flags.map((f) => ARM_FEATURES[f] ?? f),
  });
}
