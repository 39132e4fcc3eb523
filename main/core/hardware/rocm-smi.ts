/**
 * What `rocm-smi --json` prints, as the records the native addon yields. rocm-smi exits with the status of the last
 * library call that failed (rocm_smi.py, rsmi_ret_ok: RETCODE = my_ret) yet still prints valid JSON, so the exit
 * code alone says nothing: a card answering "N/A" for one field is normal. Real captures: ORIGINS.md.
 */
import type { Gpu, ProbeErrorCode } from '../../common/hardware.js';
import { pciId } from './gpu-name.js';
import { reading } from './parsers.js';
import { extractJson } from './tool-json.js';
import { blankGpu, gpuName, normalizeBusId, normalizeUniqueId, REPORT_FIELDS, toolSources } from './probe.js';

export interface RocmSmiLog {
  driverVersion: string | null;
  gpus: Gpu[];
  /** Each GPU's PCI device id ("Device ID"; "GPU ID" before ROCm 6), for its name (gpu-name.ts). */
  deviceIds: (number | null)[];
}

/** Keys changed case and wording across ROCm releases ("Card series" / "Card Series"), so they are matched loosely. */
function field(record: Record<string, unknown>, pattern: RegExp): string | null {
  for (const [key, raw] of Object.entries(record)) {
    const value = typeof raw === 'string' ? raw.trim() : '';
    if (pattern.test(key) && value && !/^(N\/A|unknown)$/i.test(value)) return value;
  }
  return null;
}

const SOURCE = 'rocm-smi --json';

/** The JSON document in rocm-smi's output, whatever it printed around it (warnings, notices); null when there is none. */
export function rocmSmiJson(output: string): Record<string, unknown> | null {
  const data = extractJson(output);
  return data && !Array.isArray(data) ? data : null;
}

export function parseRocmSmiJson(data: Record<string, unknown>): RocmSmiLog {
  const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
  const system = isRecord(data['system']) ? data['system'] : {};
  // cardN is the DRM card number (card0 can be another GPU's display); ROCm numbers its devices 0, 1, … in that order.
  const cards = Object.entries(data)
    .filter((entry): entry is [string, Record<string, unknown>] => /^card\d+$/.test(entry[0]) && isRecord(entry[1]))
    .sort(([a], [b]) => Number(a.slice(4)) - Number(b.slice(4)));
  const gpus = cards.map(([, card], index): Gpu => {
    const bus = field(card, /^pci bus$/i);
    const gpu: Gpu = {
      ...blankGpu('amd', index),
      // ROCm 6 says "Device Name"; older releases only "Card series", which is "0x1002" when it has no name.
      name: gpuName(field(card, /^device name$/i) ?? field(card, /^card series$/i)),
      uuid: normalizeUniqueId(field(card, /^unique id$/i)),
      pciBusId: bus === null ? null : normalizeBusId(bus),
      memoryTotalBytes: reading(field(card, /^vram total memory \(b\)$/i)),
      memoryUsedBytes: reading(field(card, /^vram total used memory \(b\)$/i)),
      utilizationPercent: reading(field(card, /^gpu use \(%\)$/i)),
      // MI300-class parts have no edge sensor; the junction (hotspot) one is what rocm-smi shows them by.
      temperatureC: reading(
        field(card, /^temperature \(sensor edge\) \(c\)$/i) ?? field(card, /^temperature \(sensor (junction|hotspot)\) \(c\)$/i),
      ),
      powerDrawW: reading(field(card, /^(average|current socket) graphics package power \(w\)$/i)),
      powerLimitW: reading(field(card, /^max graphics package power \(w\)$/i)),
    };
    return { ...gpu, sources: toolSources(gpu, SOURCE, REPORT_FIELDS) };
  });
  const deviceIds = cards.map(([, card]) => pciId(field(card, /^(device|gpu) id$/i)));
  return { driverVersion: field(system, /^driver version$/i), gpus, deviceIds };
}

/** No JSON: "ROCm SMI returned 8 (the expected value is 0)" or "Driver not initialized", as the native probe maps them. */
export function rocmSmiFailure(output: string): ProbeErrorCode {
  if (/Driver not initialized/i.test(output)) return 'driver-not-loaded';
  const status = Number(/returned (\d+)/.exec(output)?.[1]);
  if (status === 8) return 'driver-not-loaded';
  if (status === 4) return 'no-permission';
  return 'driver-error';
}
