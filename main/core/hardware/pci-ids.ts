/**
 * GPU names from the PCI ID database (`pci.ids`, the file lspci and every Linux tool names devices by; Debian ships
 * it in the pci.ids package that hwdata pulls in), with a small built-in table where the system has no such file.
 * The file is ~1.3 MB: it is read once, on the first question, and only the GPU vendors' sections are kept.
 */
import { readFile } from 'node:fs/promises';

export const SYSTEM_PCI_IDS = ['/usr/share/misc/pci.ids', '/usr/share/hwdata/pci.ids'];

export const PCI_VENDOR = { amd: 0x1002, nvidia: 0x10de, intel: 0x8086 } as const;
const PREFIX: Record<number, string> = { [PCI_VENDOR.amd]: 'AMD', [PCI_VENDOR.nvidia]: 'NVIDIA', [PCI_VENDOR.intel]: 'Intel' };

/** Names as pci.ids spells them, for machines without the file: GPUs this app has been asked about by users. */
const BUILT_IN: Record<number, Record<number, string>> = {
  [PCI_VENDOR.intel]: {
    0x4680: 'AlderLake-S GT1',
    0x5917: 'UHD Graphics 620',
    0x56a0: 'DG2 [Arc A770]',
    0x56a1: 'DG2 [Arc A750]',
    0x56a2: 'DG2 [Arc A580]',
    0x56a5: 'DG2 [Arc A380]',
    0x56a6: 'DG2 [Arc A310]',
    0x56c0: 'Data Center GPU Flex 170',
    0xe20b: 'Battlemage G21 [Arc B580]',
    0xe20c: 'Battlemage G21 [Arc B570]',
  },
  [PCI_VENDOR.amd]: {
    0x1681: 'Rembrandt [Radeon 680M]',
    0x738c: 'Arcturus GL-XL [Instinct MI100]',
    0x73bf: 'Navi 21 [Radeon RX 6800/6800 XT / 6900 XT]',
    0x73df: 'Navi 22 [Radeon RX 6700/6700 XT/6750 XT / 6800M/6850M XT]',
    0x73ff: 'Navi 23 [Radeon RX 6600/6600 XT/6600M]',
    0x740f: 'Aldebaran/MI200 [Instinct MI210]',
  },
};

const hex = (n: number) => n.toString(16).padStart(4, '0');

/** The device lines ("\t5917  UHD Graphics 620") of one vendor's section; subsystem lines have two tabs. */
export function vendorSection(database: string, vendor: number): Map<number, string> {
  const devices = new Map<number, string>();
  const start = database.search(new RegExp(`^${hex(vendor)}  `, 'm'));
  if (start < 0) return devices;
  for (const line of database.slice(start).split('\n').slice(1)) {
    if (/^[0-9a-fC]/.test(line)) break; // the next vendor, or the device classes at the end
    const match = /^\t([0-9a-f]{4}) {2}(.+)$/.exec(line);
    if (match) devices.set(Number.parseInt(match[1] ?? '', 16), (match[2] ?? '').trim());
  }
  return devices;
}

/** "DG2 [Arc A770]" → "Intel Arc A770"; "UHD Graphics 620" → "Intel UHD Graphics 620": the bracket holds the product. */
export function marketingName(vendor: number, entry: string): string {
  const product = /\[([^\]]+)\]\s*$/.exec(entry)?.[1] ?? entry;
  const prefix = PREFIX[vendor];
  return prefix && !product.startsWith(prefix) ? `${prefix} ${product}` : product;
}

export interface PciNames {
  /** The product name, or null when neither the system's database nor the built-in table knows the id. */
  name(vendor: number, device: number): Promise<string | null>;
  /** Where names come from: the file read, or the built-in table. */
  source(): Promise<string>;
}

export function pciIdDatabase(files: readonly string[] = SYSTEM_PCI_IDS): PciNames {
  let loaded: Promise<{ file: string | null; sections: Map<number, Map<number, string>> }> | null = null;
  const load = () =>
    (loaded ??= (async () => {
      for (const file of files) {
        const database = await readFile(file, 'utf8').catch(() => null);
        if (database === null) continue;
        const vendors: number[] = Object.values(PCI_VENDOR);
        return { file, sections: new Map(vendors.map((v) => [v, vendorSection(database, v)])) };
      }
      return { file: null, sections: new Map() };
    })());
  return {
    async name(vendor, device) {
      const { sections } = await load();
      const entry = sections.get(vendor)?.get(device) ?? BUILT_IN[vendor]?.[device];
      return entry === undefined ? null : marketingName(vendor, entry);
    },
    async source() {
      const { file } = await load();
      return file ?? 'the built-in table of PCI ids';
    },
  };
}

/** The system's database, read on first use and kept for the life of the process. */
export const systemPciNames = pciIdDatabase();
