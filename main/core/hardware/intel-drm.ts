/**
 * Intel GPUs (Arc and integrated) from Linux's DRM sysfs: the JS fallback's answer, and the native probe's where
 * Level Zero is not installed (native/src/level0.cc); sysfs needs no runtime. Reads /sys/class/drm/card* whose PCI
 * vendor is 0x8086: the name by the device id (gpu-name.ts), the bus id and driver from uevent, and the
 * memory the kernel driver publishes: xe has device/tileN/physical_vram_size_bytes (what igt's xe_sysfs_tile test
 * reads), Intel's out-of-tree i915 has cardN/lmem_total_bytes, mainline i915 has none (then the field is "not
 * reported"). hwmon temp1_input where the driver has it. Windows and macOS report none here.
 */
import { readdir, readFile } from 'node:fs/promises';
import { release } from 'node:os';
import { join } from 'node:path';
import type { Gpu, VendorReport } from '../../common/hardware.js';
import { namedByPciId, pciId } from './gpu-name.js';
import { systemPciNames, type PciNames } from './pci-ids.js';
import { blankGpu, normalizeBusId, vendorReport } from './probe.js';

const read = (path: string) =>
  readFile(path, 'utf8').then(
    (s) => s.trim(),
    () => null,
  );
const number = (text: string | null) => (text !== null && /^\d+$/.test(text) ? Number(text) : null);

async function temperature(device: string): Promise<number | null> {
  const hwmons = await readdir(join(device, 'hwmon')).catch(() => []);
  for (const hwmon of hwmons) {
    const milli = number(await read(join(device, 'hwmon', hwmon, 'temp1_input')));
    if (milli !== null) return milli / 1000;
  }
  return null;
}

/** xe: the sum over tiles of tileN/physical_vram_size_bytes; null when the driver publishes none. */
async function tileVram(device: string): Promise<number | null> {
  const tiles = (await readdir(device).catch(() => [])).filter((n) => /^tile\d+$/.test(n));
  const sizes = await Promise.all(tiles.map((t) => read(join(device, t, 'physical_vram_size_bytes')).then(number)));
  const known = sizes.filter((n): n is number => n !== null);
  return known.length ? known.reduce((a, b) => a + b, 0) : null;
}

async function card(
  drm: string,
  name: string,
  index: number,
  systemMemoryBytes: number,
  names: PciNames,
): Promise<{ gpu: Gpu; driver: string } | null> {
  const device = join(drm, name, 'device');
  if ((await read(join(device, 'vendor'))) !== '0x8086') return null;
  const uevent = new Map(
    ((await read(join(device, 'uevent'))) ?? '').split('\n').map((l) => {
      const [key = '', value] = l.split('=');
      return [key, value] as const;
    }),
  );
  const id = pciId(await read(join(device, 'device')));
  const vram = (await tileVram(device)) ?? number(await read(join(drm, name, 'lmem_total_bytes')));
  const bus = uevent.get('PCI_SLOT_NAME');
  // Intel's integrated GPU always sits at 00:02.0; it has no memory of its own and uses the system's, like Apple's.
  const integrated = bus !== undefined && normalizeBusId(bus) === '0000:00:02.0';
  const source = `/sys/class/drm/${name} (${uevent.get('DRIVER') ?? 'no driver'})`;
  const gpu: Gpu = {
    ...blankGpu('intel', index),
    pciBusId: bus ? normalizeBusId(bus) : null,
    unifiedMemory: integrated,
    memoryTotalBytes: integrated ? systemMemoryBytes : vram,
    temperatureC: await temperature(device),
  };
  gpu.sources = {
    pciBusId: source,
    memoryTotalBytes: integrated ? 'system memory (integrated GPU)' : source,
    temperatureC: `${source} hwmon`,
  };
  const [named = gpu] = await namedByPciId([gpu], [id === null ? null : { id, source }], names);
  return { gpu: named, driver: uevent.get('DRIVER') ?? 'no driver' };
}

export async function probeIntelDrm(
  sysRoot: string,
  platform: NodeJS.Platform,
  systemMemoryBytes: number,
  pciNames: PciNames = systemPciNames,
): Promise<VendorReport> {
  if (platform !== 'linux') return vendorReport('intel', { status: 'absent', code: 'not-installed' });
  const drm = join(sysRoot, 'class', 'drm');
  // card0, card1 … are the GPUs; card0-HDMI-A-1 and the like are their connectors.
  const names = (await readdir(drm).catch(() => []))
    .filter((n) => /^card\d+$/.test(n))
    .sort((a, b) => Number(a.slice(4)) - Number(b.slice(4)));
  const gpus: Gpu[] = [];
  const drivers = new Set<string>();
  for (const name of names) {
    const found = await card(drm, name, gpus.length, systemMemoryBytes, pciNames);
    if (!found) continue;
    gpus.push(found.gpu);
    drivers.add(found.driver);
  }
  if (!gpus.length) return vendorReport('intel', { status: 'absent', code: 'not-installed' });
  // The kernel drivers are part of Linux: their version is the kernel's.
  return vendorReport('intel', { status: 'found', driverVersion: `${[...drivers].join(', ')} (Linux ${release()})`, gpus });
}
