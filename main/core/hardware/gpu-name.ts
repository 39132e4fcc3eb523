/**
 * One rule for the name of an AMD or Intel GPU, in both probes: the PCI ID database's name for the GPU's device id
 * (pci-ids.ts: the system's pci.ids, else the built-in table) where the database knows the id; the driver's own
 * name otherwise; "<vendor> GPU (PCI device 0x…)" where there is neither. The database wins because it is the one
 * source both probes have for the same device: Intel's DRM sysfs has no name where Level Zero says "Intel(R)
 * Arc(TM) A770 Graphics", amd-smi cuts "Navi 23 [Radeon RX 6600/6600 XT/6600M]" short where ROCm SMI does not, and
 * drivers without a name answer with a bare id ("0x73bf", "0x1002"). It is also what lspci shows. NVIDIA GPUs keep
 * the driver's name: NVML and nvidia-smi read the same string.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Gpu } from '../../common/hardware.js';
import { PCI_VENDOR, type PciNames } from './pci-ids.js';
import { VENDOR_NAME } from './probe.js';

/** A GPU's PCI device id and where it was read. */
export interface PciDevice {
  id: number;
  source: string;
}

/** "0x73df" (a tool's or sysfs's spelling) → 0x73df; null for anything else. */
export function pciId(raw: unknown): number | null {
  return typeof raw === 'string' && /^0x[0-9a-f]{1,4}$/i.test(raw.trim()) ? Number.parseInt(raw.trim(), 16) : null;
}

/**
 * The device at a bus id as the kernel lists it (/sys/bus/pci/devices/<bus>/device, what ROCm SMI's
 * rsmi_dev_id_get reads), if it is the given vendor's: the native probe's drivers answer with the bus id only.
 */
export async function sysfsPciDevice(sysRoot: string, vendor: keyof typeof PCI_VENDOR, bus: string | null): Promise<PciDevice | null> {
  if (bus === null) return null;
  const dir = join(sysRoot, 'bus', 'pci', 'devices', bus);
  const id = (file: string) => readFile(join(dir, file), 'utf8').then(pciId, () => null);
  const [vendorId, deviceId] = await Promise.all([id('vendor'), id('device')]);
  return vendorId === PCI_VENDOR[vendor] && deviceId !== null ? { id: deviceId, source: `/sys/bus/pci/devices/${bus}` } : null;
}

const hex = (id: number) => `0x${id.toString(16).padStart(4, '0')}`;

/** The GPUs named by the rule above; `devices[i]` is gpus[i]'s PCI device where it is known. */
export async function namedByPciId(gpus: readonly Gpu[], devices: readonly (PciDevice | null)[], names: PciNames): Promise<Gpu[]> {
  return Promise.all(
    gpus.map(async (gpu, i): Promise<Gpu> => {
      const device = devices[i];
      // No id, no lookup: the database (1.3 MB) is read only when there is a GPU to name.
      if (!device || gpu.vendor === 'apple') return gpu;
      const known = await names.name(PCI_VENDOR[gpu.vendor], device.id);
      const read = `PCI device ${hex(device.id)} (${device.source})`;
      const database = await names.source();
      if (known) return { ...gpu, name: known, sources: { ...gpu.sources, name: `${read}, named from ${database}` } };
      if (gpu.name) return gpu;
      return {
        ...gpu,
        name: `${VENDOR_NAME[gpu.vendor]} GPU (PCI device ${hex(device.id)})`,
        sources: { ...gpu.sources, name: `${read}, not in ${database}` },
      };
    }),
  );
}
