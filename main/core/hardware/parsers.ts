/**
 * Parsers shared by the JS fallback: a minimal XML reader (for nvidia-smi), readings with units,
 * `system_profiler SPDisplaysDataType -json` and Linux /proc/cpuinfo. The vendor tools have their own modules
 * (nvidia-smi.ts, rocm-smi.ts). Each returns the same records the native addon yields.
 */
import type { Cpu, Gpu } from '../../common/hardware.js';
import { blankGpu, cpuRecord } from './probe.js';
import { extractJson } from './tool-json.js';

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
    const top = stack.at(-1) ?? root;
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

/**
 * "41 C", "87.45 W", "37 %" → number; "N/A", "[Not Supported]", "[Unknown Error]", "Not Found" → null. A decimal
 * comma ("27,23 W", as some locales print) reads as a decimal point; a comma before exactly three digits could be a
 * thousands separator ("1,234 W"), so that value is refused rather than guessed.
 */
export function reading(value: string | null | undefined, scale = 1): number | null {
  const match = /^(\d+)(?:([.,])(\d+))?(?:\s*[^\d\s.,]\S*)?$/.exec(value?.trim() ?? '');
  if (!match) return null;
  const [, whole = '', separator, fraction = ''] = match;
  if (separator === ',' && fraction.length === 3) return null;
  const number = Number(separator ? `${whole}.${fraction}` : whole);
  return Number.isFinite(number) ? number * scale : null;
}
export const MIB = 1024 * 1024;

// ---- system_profiler ----------------------------------------------------------------------------------------

/** "16 GB" / "8192 MB" → bytes. */
function size(value: unknown): number | null {
  const text = typeof value === 'string' ? value : '';
  const unit = /([MG])B\s*$/i.exec(text)?.[1]?.toUpperCase();
  const number = unit ? reading(text) : null;
  return number === null ? null : number * (unit === 'G' ? 1024 : 1) * MIB;
}

/**
 * null when the output holds no SPDisplaysDataType list: empty, or cut short (then only inner objects parse), which
 * system_profiler can print with exit 0.
 */
export function parseSystemProfilerDisplays(output: string, systemMemoryBytes: number): Gpu[] | null {
  const data = extractJson(output);
  const list = data && !Array.isArray(data) ? data['SPDisplaysDataType'] : undefined;
  if (!Array.isArray(list)) return null;
  const items = list.filter((item): item is Record<string, unknown> => typeof item === 'object' && item !== null);
  return items.map((item, index) => {
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
 * One record per CPU. Most kernels print a block per CPU opening with "processor", but older ARM kernels (X-Gene,
 * 32-bit ARM) print all "processor" lines first and the Features once, so counting blocks would find one CPU; s390x
 * lists "processor 0: version = …" lines, then a block per CPU opening with "cpu number"; ARMv6's legacy layout has
 * no "processor" line at all: the file is then one CPU. Cores are told apart by package and core number, which x86
 * and s390x call "physical id" / "core id", MIPS and LoongArch "package" / "core".
 */
export function parseCpuinfo(text: string, arch: string): Cpu {
  const shared = new Map<string, string>();
  const cpus: Map<string, string>[] = [];
  const numbered: string[] = [];
  for (const line of text.split('\n')) {
    const at = line.indexOf(':');
    if (at < 0) continue;
    const key = line.slice(0, at).trim();
    const value = line.slice(at + 1).trim();
    if (/^processor \d+$/.test(key)) numbered.push(value);
    else if (key === 'processor' || key === 'cpu number') cpus.push(new Map());
    else (cpus.at(-1) ?? shared).set(key, value);
    if (!shared.has(key)) shared.set(key, value);
  }
  const threads = cpus.length || numbered.length || (shared.size ? 1 : 0);
  const cores = cpus.length
    ? new Set(
        cpus.map((cpu, i) => {
          const core = cpu.get('core id') ?? cpu.get('core');
          return core === undefined ? `${i}` : `${cpu.get('physical id') ?? cpu.get('package') ?? 0}/${core}`;
        }),
      ).size
    : threads;
  const flags = (shared.get('flags') ?? shared.get('Features') ?? shared.get('features') ?? '').split(/\s+/);
  const machine = /machine = (\w+)/.exec(numbered[0] ?? '')?.[1];
  return cpuRecord({
    vendor: shared.get('vendor_id') ?? shared.get('CPU implementer') ?? '',
    // x86 "model name"; old ARM kernels "Processor" before the list; POWER "cpu"; MIPS "cpu model"; LoongArch
    // "Model Name"; s390x only its machine type.
    model:
      shared.get('model name') ??
      shared.get('Processor') ??
      shared.get('cpu') ??
      shared.get('cpu model') ??
      shared.get('Model Name') ??
      (machine ? `${shared.get('vendor_id') ?? 'IBM/S390'} machine type ${machine}` : ''),
    arch,
    cores,
    threads,
    features: flags.map((f) => ARM_FEATURES[f] ?? f),
  });
}
