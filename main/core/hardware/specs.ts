/**
 * Data-sheet figures for GPUs we cannot measure yet (dense, no sparsity; fp16 = tensor/matrix cores with fp32
 * accumulate where the card has them). Shown as "spec, not measured". Most specific patterns first.
 */
export interface GpuSpec {
  model: string;
  fp32Tflops: number;
  fp16Tflops: number;
  int8Tops: number;
  bandwidthGbps: number;
  tensorCores: number | null;
}

const spec = (
  model: string,
  fp32Tflops: number,
  fp16Tflops: number,
  int8Tops: number,
  bandwidthGbps: number,
  tensorCores: number | null = null,
): GpuSpec => ({
  model,
  fp32Tflops,
  fp16Tflops,
  int8Tops,
  bandwidthGbps,
  tensorCores,
});

const TABLE: [RegExp, GpuSpec][] = [
  [/\bH100\b.*\bPCIe\b/i, spec('H100 PCIe', 51.2, 756, 1513, 2000, 456)],
  [/\bH100\b/i, spec('H100', 66.9, 989, 1979, 3350, 528)],
  [/\bH200\b/i, spec('H200', 66.9, 989, 1979, 4800, 528)],
  [/\bA100\b.*80\s?GB/i, spec('A100 80GB', 19.5, 312, 624, 2039, 432)],
  [/\bA100\b/i, spec('A100', 19.5, 312, 624, 1555, 432)],
  [/\bL40S\b/i, spec('L40S', 91.6, 362, 733, 864, 568)],
  [/\bL40\b/i, spec('L40', 90.5, 181, 362, 864, 568)],
  [/\bL4\b/i, spec('L4', 30.3, 121, 242, 300, 240)],
  [/\bA10G?\b/i, spec('A10', 31.2, 125, 250, 600, 288)],
  [/\bT4\b/i, spec('T4', 8.1, 65, 130, 320, 320)],
  [/\bV100\b/i, spec('V100', 15.7, 125, 62, 900, 640)],
  [/RTX A5000/i, spec('RTX A5000', 27.8, 111.1, 222.2, 768, 256)],
  [/RTX 4090/i, spec('RTX 4090', 82.6, 165.2, 660.6, 1008)],
  [/RTX 4080/i, spec('RTX 4080', 48.7, 97.5, 389.9, 717)],
  [/RTX 4070 Ti/i, spec('RTX 4070 Ti', 40.1, 80.2, 320.7, 504)],
  [/RTX 4070/i, spec('RTX 4070', 29.1, 58.3, 233.2, 504)],
  [/RTX 4060/i, spec('RTX 4060', 15.1, 30.2, 121, 272)],
  [/RTX 3090/i, spec('RTX 3090', 35.6, 71, 284, 936)],
  [/RTX 3080/i, spec('RTX 3080', 29.8, 59.5, 238, 760)],
  [/RTX 3070/i, spec('RTX 3070', 20.3, 40.6, 163, 448)],
  [/RTX 3060/i, spec('RTX 3060', 12.7, 25.4, 101.9, 360)],
  [/\bMI300X\b/i, spec('MI300X', 163.4, 1307, 2615, 5300)],
  [/\bMI250X?\b/i, spec('MI250', 45.3, 362, 362, 3277)],
  [/\bMI210\b/i, spec('MI210', 22.6, 181, 181, 1638)],
  [/\bMI100\b/i, spec('MI100', 23.1, 184.6, 184.6, 1229)],
  [/RX 7900 XTX/i, spec('RX 7900 XTX', 61.4, 122.8, 122.8, 960)],
  [/RX 7900 XT\b/i, spec('RX 7900 XT', 51.6, 103.2, 103.2, 800)],
  // Named from the PCI ID database (pci-ids.ts): integrated and data-center parts the drivers' own tools never name.
  // Integrated GPUs: the bandwidth is the system memory's the chip supports.
  [/\bRadeon 680M\b/i, spec('Radeon 680M', 3.7, 7.4, 14.7, 102.4)], // 12 RDNA2 CUs at 2.4 GHz, LPDDR5-6400
  [/\bUHD Graphics 620\b/i, spec('UHD Graphics 620', 0.44, 0.88, 0.88, 38.4)], // 24 EUs at 1.15 GHz, no DP4A, DDR4-2400
  [/\bFlex 170\b/i, spec('Data Center GPU Flex 170', 16, 128, 256, 576, 512)], // 32 Xe-cores, 512 XMX engines
];

/** Apple GPUs: fp32 per GPU core by generation (fp16 runs at the same rate), bandwidth by chip tier. */
const APPLE_TFLOPS_PER_CORE: Record<string, number> = { M1: 0.325, M2: 0.357, M3: 0.41, M4: 0.46 };
const APPLE_BANDWIDTH: Record<string, number> = {
  M1: 68,
  'M1 Pro': 200,
  'M1 Max': 400,
  'M1 Ultra': 800,
  M2: 100,
  'M2 Pro': 200,
  'M2 Max': 400,
  'M2 Ultra': 800,
  M3: 100,
  'M3 Pro': 150,
  'M3 Max': 400,
  'M3 Ultra': 819,
  M4: 120,
  'M4 Pro': 273,
  'M4 Max': 546,
};
/** GPU cores of each chip's largest variant, for when the OS does not say. */
const APPLE_CORES: Record<string, number> = { '': 10, Pro: 19, Max: 40, Ultra: 80 };

/** "Apple M2 Pro" → "M2 Pro"; null for anything else. */
export function appleChip(name: string): string | null {
  return /\bApple (M\d)(?: (Pro|Max|Ultra))?\b/i.exec(name)?.slice(1).filter(Boolean).join(' ') ?? null;
}

export function gpuSpec(name: string, gpuCores: number | null = null): GpuSpec | null {
  const chip = appleChip(name);
  if (chip) {
    const [generation = '', tier = ''] = chip.split(' ');
    const perCore = APPLE_TFLOPS_PER_CORE[generation];
    const bandwidth = APPLE_BANDWIDTH[chip];
    if (perCore === undefined || bandwidth === undefined) return null;
    const fp32 = Math.round(perCore * (gpuCores ?? APPLE_CORES[tier] ?? 10) * 10) / 10;
    return spec(chip, fp32, fp32, fp32, bandwidth);
  }
  return TABLE.find(([pattern]) => pattern.test(name))?.[1] ?? null;
}
