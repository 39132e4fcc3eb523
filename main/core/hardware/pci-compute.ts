/**
 * CUDA compute capability from an NVIDIA PCI device id, for drivers before 510: their nvidia-smi rejects
 * `--query-gpu=compute_cap`, and without it a Kepler card would not be flagged as too old. Ranges are the chip
 * families' device-id blocks in the PCI ID database (pci-ids.ucw.cz, vendor 10de); those drivers know nothing newer
 * than Ampere, so the table stops there. Exceptions come before the ranges that contain them.
 */
const TABLE: [from: number, to: number, capability: string][] = [
  [0x102d, 0x102d, '3.7'], // GK210 (Tesla K80) inside the GK110 block
  [0x0fc0, 0x0fff, '3.0'], // GK107
  [0x1000, 0x103f, '3.5'], // GK110
  [0x1180, 0x11ff, '3.0'], // GK104, GK106
  [0x1280, 0x12bf, '3.5'], // GK208
  [0x1340, 0x13bf, '5.0'], // GM107, GM108
  [0x13c0, 0x143f, '5.2'], // GM204, GM206
  [0x15f0, 0x15ff, '6.0'], // GP100
  [0x17c0, 0x17ff, '5.2'], // GM200
  [0x1b00, 0x1d3f, '6.1'], // GP102 … GP108
  [0x1d80, 0x1dbf, '7.0'], // GV100
  [0x1e00, 0x1fff, '7.5'], // TU102, TU104, TU106, TU117
  [0x20b0, 0x20ff, '8.0'], // GA100
  [0x2180, 0x21ff, '7.5'], // TU116
  [0x2200, 0x25ff, '8.6'], // GA102 … GA107
];

/** "218410DE" (nvidia-smi's pci_device_id: device then vendor) → "7.5"; null when unknown or not NVIDIA. */
export function computeCapabilityFromPciId(pciDeviceId: string | null): string | null {
  const match = /^([0-9a-f]{4})10de$/i.exec(pciDeviceId?.trim() ?? '');
  if (!match) return null;
  const device = Number.parseInt(match[1] ?? '', 16);
  return TABLE.find(([from, to]) => device >= from && device <= to)?.[2] ?? null;
}
