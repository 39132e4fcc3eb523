/**
 * Parsers shared by the JS fallback: a minimal XML reader (for nvidia-smi), readings with units,
 * `system_profiler SPDisplaysDataType -json` and Linux /proc/cpuinfo. The vendor tools have their own modules
 * (nvidia-smi.ts, rocm-smi.ts). Each returns the same records the native addon yields.
 */
import type { Cpu, Gpu } from '../../common/hardware.js';
import { blankGpu, cpuRecord } from './probe.js';

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

export function find(node: XmlNode | undefined, ...path: string[]): XmlNode | undefined {
  return path.reduce<XmlNode | undefined>((at, name) => at?.children.find((c) => c.name === name), node);
}
export const textAt = (node: XmlNode | undefined, ...path: string[]) => find(node, ...path)?.text.trim() ?? null;

/** "41 C", "87.45 W", "37 %" → number; "N/A", "[Not Supported]", "[Unknown Error]", "Not Found" → null. */
export function reading(value: string | null | undefined, scale = 1): number | null {
  if (!value || !/^[\d.]/.test(value.trim())) return null;
  const number = Number.parseFloat(value);
  return Number.isFinite(number) ? number * scale : null;
}
export const MIB = 1024 * 1024;

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
    // Big Sur-era output names the Metal family ("spdisplays_mtlgpufamilyapple7"), which the addon reports as "apple7";
    // later releases give only the Metal version ("spdisplays_metal3"), and Intel Macs "mac2", which the addon skips.
    const family = /mtlgpufamily(apple\d+)$/i.exec(String(item['spdisplays_metalfamily'] ?? ''))?.[1]?.toLowerCase() ?? null;
    return {
      ...blankGpu('apple', index),
      name: String(item['sppci_model'] ?? item['_name'] ?? '') || null,
      memoryTotalBytes: unified ? systemMemoryBytes : size(item['spdisplays_vram'] ?? item['_spdisplays_vram']),
      unifiedMemory: unified,
      gpuCores: Number.isFinite(cores) ? cores : null,
      family,
    };
  });
}

// ---- /proc/cpuinfo ------------------------------------------------------------------------------------------

const ARM_FEATURES: Record<string, string> = { asimd: 'neon', asimddp: 'dotprod', sve: 'sve' };

/**
 * One record per "processor" line. Most kernels print a block per CPU, but older ARM kernels (X-Gene, 32-bit ARM)
 * print all "processor" lines first and the Features once, so counting blocks would find one CPU.
 */
export function parseCpuinfo(text: string, arch: string): Cpu {
  const shared = new Map<string, string>();
  const cpus: Map<string, string>[] = [];
  for (const line of text.split('\n')) {
    const at = line.indexOf(':');
    if (at < 0) continue;
    const key = line.slice(0, at).trim();
    const value = line.slice(at + 1).trim();
    if (key === 'processor') cpus.push(new Map());
    else (cpus.at(-1) ?? shared).set(key, value);
    if (!shared.has(key)) shared.set(key, value);
  }
  const cores = new Set(cpus.map((cpu, i) => (cpu.has('core id') ? `${cpu.get('physical id') ?? 0}/${cpu.get('core id')}` : `${i}`)));
  const flags = (shared.get('flags') ?? shared.get('Features') ?? '').split(/\s+/);
  return cpuRecord({
    vendor: shared.get('vendor_id') ?? shared.get('CPU implementer') ?? '',
    // x86 "model name"; old ARM kernels "Processor" before the list; POWER "cpu".
    model: shared.get('model name') ?? shared.get('Processor') ?? shared.get('cpu') ?? '',
    arch,
    cores: cores.size,
    threads: cpus.length,
    features: flags.map((f) => ARM_FEATURES[f] ?? f),
  });
}
