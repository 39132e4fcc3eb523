// The fallback's parsers on real captured outputs (ORIGINS.md) and on the odd-but-real spellings the issue lists.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  isUnknownField,
  noDevices,
  nvidiaSmiExitCode,
  parseNvidiaSmiFailures,
  parseNvidiaSmiXml,
  parseQueryRows,
} from '../../main/core/hardware/nvidia-smi.js';
import { parseCpuinfo, parseSystemProfilerDisplays, parseXml } from '../../main/core/hardware/parsers.js';
import { computeCapabilityFromPciId } from '../../main/core/hardware/pci-compute.js';
import { avxSupport, normalizeBusId, normalizeUniqueId } from '../../main/core/hardware/probe.js';
import { parseRocmSmiJson, rocmSmiFailure, rocmSmiJson } from '../../main/core/hardware/rocm-smi.js';
import { FIXTURES } from '../fixtures/hardware/machine.js';

const fixture = (...path: string[]) => readFile(join(FIXTURES, ...path), 'utf8');
const GIB = 1024 ** 3;

test('/proc/cpuinfo of real x86, ARM and POWER machines', { timeout: 120_000 }, async () => {
  const i7 = parseCpuinfo(await fixture('cpuinfo', 'i7-8650u.txt'), 'x64');
  assert.deepEqual(i7, {
    vendor: 'intel',
    model: 'Intel Core i7-8650U',
    arch: 'x64',
    cores: 4,
    threads: 8,
    features: ['sse4_2', 'avx', 'avx2', 'fma'],
  });
  assert.equal(avxSupport(i7.features), 'avx2');
  // An old arm64 kernel lists all "processor" lines first and the features once: 8 CPUs, not one block.
  assert.deepEqual(parseCpuinfo(await fixture('cpuinfo', 'xgene-aarch64.txt'), 'arm64'), {
    vendor: 'arm',
    model: 'AArch64 Processor rev 1 (aarch64)',
    arch: 'arm64',
    cores: 8,
    threads: 8,
    features: ['neon'],
  });
  // A Raspberry Pi 4 on a 32-bit kernel: NEON under its ARMv7 name, no asimd.
  assert.deepEqual(parseCpuinfo(await fixture('cpuinfo', 'raspberry-pi4-armv7.txt'), 'arm'), {
    vendor: 'arm',
    model: 'ARMv7 Processor rev 3 (v7l)',
    arch: 'arm',
    cores: 4,
    threads: 4,
    features: ['neon'],
  });
  assert.deepEqual(parseCpuinfo(await fixture('cpuinfo', 'power7.txt'), 'ppc64'), {
    vendor: 'other',
    model: 'POWER7 (architected), altivec supported',
    arch: 'ppc64',
    cores: 6,
    threads: 6,
    features: [],
  });
});

test(
  'nvidia-smi XML v11 of driver 418: power_readings, no reserved memory, no compute capability, no MIG',
  { timeout: 120_000 },
  async () => {
    const log = parseNvidiaSmiXml(await fixture('nvidia-smi', 'gtx1660ti-418', 'q-x.stdout'));
    assert.deepEqual([log.driverVersion, log.cudaVersion], ['418.43', '10.1']);
    const [gpu] = log.gpus;
    assert.deepEqual([gpu?.name, gpu?.powerDrawW, gpu?.powerLimitW, gpu?.mig], ['Graphics Device', 8.93, 130, null]);
    assert.equal(log.pciDeviceIds.get('0000:43:00.0'), '218410DE');
    assert.ok(isUnknownField(await fixture('nvidia-smi', 'gtx1660ti-418', 'query.stdout')));
  },
);

test(
  'nvidia-smi XML v13: the 1 s average power, not the instant reading; "Not Found" is no CUDA version',
  { timeout: 120_000 },
  async () => {
    const [first] = parseNvidiaSmiXml(await fixture('nvidia-smi', 'dual-a5000-590', 'q-x.stdout')).gpus;
    assert.equal(first?.powerDrawW, 6.41);
    const noCuda = parseNvidiaSmiXml(
      '<nvidia_smi_log><driver_version>384.111</driver_version><cuda_version>Not Found</cuda_version></nvidia_smi_log>',
    );
    assert.deepEqual([noCuda.driverVersion, noCuda.cudaVersion], ['384.111', null]);
    assert.throws(() => parseNvidiaSmiXml('NVIDIA-SMI has failed'), /no <nvidia_smi_log>/);
  },
);

test(
  'compute capability from the PCI device id for drivers before 510: a Tesla K80 is 3.7, too old for CUDA 12',
  { timeout: 120_000 },
  () => {
    assert.deepEqual(
      ['102D10DE', '218410DE', '1BB310DE', '20B210DE', '223110DE', '1EB810DE', '13C210DE', 'ABCD10DE', '73DF1002', null].map(
        computeCapabilityFromPciId,
      ),
      ['3.7', '7.5', '6.1', '8.0', '8.6', '7.5', '5.2', null, null, null],
    );
  },
);

test('nvidia-smi error lines: Linux and Windows wordings, with or without the index; documented exit codes', { timeout: 120_000 }, () => {
  assert.deepEqual(
    parseNvidiaSmiFailures(
      [
        'Unable to determine the device handle for GPU0000:A1:00.0: GPU is lost.  Reboot the system to recover this GPU',
        'Unable to determine the device handle for GPU1: 0000:34:00.0: Unknown Error',
        'Unable to detect the device handle for GPU 0: Unknown Error',
        'Unable to determine the device handle for GPU0000:CB:00.0: GPU requires reset',
      ].join('\n'),
    ),
    [
      { pciBusId: '0000:a1:00.0', code: 'gpu-lost', detail: 'GPU is lost.  Reboot the system to recover this GPU' },
      { pciBusId: '0000:34:00.0', code: 'driver-error', detail: 'Unknown Error' },
      { pciBusId: null, code: 'driver-error', detail: 'Unknown Error' },
      { pciBusId: '0000:cb:00.0', code: 'reset-required', detail: 'GPU requires reset' },
    ],
  );
  assert.deepEqual(
    [
      ...parseQueryRows(
        'Unable to determine the device handle for GPU0000:A1:00.0: GPU is lost.\n00000000:81:00.0, 8.6\n00000000:C1:00.0, [N/A]\n',
      ),
    ],
    [
      ['0000:81:00.0', { id: '00000000:81:00.0', computeCapability: '8.6' }],
      ['0000:c1:00.0', { id: '00000000:C1:00.0', computeCapability: null }],
    ],
  );
  assert.ok(noDevices('No devices were found\n'));
  assert.deepEqual([4, 9, 12, 15, 18, 255, null].map(nvidiaSmiExitCode), [
    'no-permission',
    'driver-not-loaded',
    'not-installed',
    'gpu-lost',
    'driver-mismatch',
    'driver-error',
    'driver-error',
  ]);
});

test('nvidia-smi error lines as users published them (ORIGINS.md), Windows wording included', { timeout: 120_000 }, () => {
  const published = [
    // jamesstringer90/Easy-GPU-PV#276: nvidia-smi.exe in a Windows Hyper-V VM given an NVIDIA A10.
    'Unable to detect the device handle for GPU0000:B1:00.0: Unknown Error',
    // marian-nmt/marian#251: all that `nvidia-smi` printed on Linux once the GPU was lost.
    'Unable to determine the device handle for GPU 0000:03:00.0: GPU is lost.  Reboot the system to recover this GPU',
    // NVIDIA/nvidia-docker#1553: all that `nvidia-smi -a -i 0` printed for the failed GPU.
    'Unable to determine the device handle for GPU 0000:09:00.0: Unknown Error',
    // pdbear/syno_nvidia_gpu_driver#22: a Tesla P4 on Synology DSM, `nvidia-smi`.
    'Unable to determine the device handle for GPU0000:07:00.0: Unknown Error',
    // wookayin/gpustat#125: `nvidia-smi -L` with one GPU failing, the driver spelling it "gpu".
    'Unable to determine the device handle for gpu 0000:08:00.0: Unknown Error',
  ];
  assert.deepEqual(
    published.map((line) => parseNvidiaSmiFailures(line)),
    [
      [{ pciBusId: '0000:b1:00.0', code: 'driver-error', detail: 'Unknown Error' }],
      [{ pciBusId: '0000:03:00.0', code: 'gpu-lost', detail: 'GPU is lost.  Reboot the system to recover this GPU' }],
      [{ pciBusId: '0000:09:00.0', code: 'driver-error', detail: 'Unknown Error' }],
      [{ pciBusId: '0000:07:00.0', code: 'driver-error', detail: 'Unknown Error' }],
      [{ pciBusId: '0000:08:00.0', code: 'driver-error', detail: 'Unknown Error' }],
    ],
  );
});

test(
  'rocm-smi: DRM card numbers become ROCm indexes, unique ids one spelling, junction stands in for a missing edge sensor',
  { timeout: 120_000 },
  () => {
    const json = rocmSmiJson(
      'WARNING: one of the GPUs is in a low power state\n' +
        JSON.stringify({
          card2: {
            'Card Series': 'AMD Instinct MI300X',
            'Unique ID': '0x0A1B',
            'Temperature (Sensor junction) (C)': '41.0',
            'Current Socket Graphics Package Power (W)': '131.0',
          },
          card1: {
            'Card series': 'AMD Instinct MI300X',
            'Unique ID': 'A1C',
            'Temperature (Sensor edge) (C)': 'N/A',
            'Temperature (Sensor junction) (C)': '38.0',
          },
          system: { 'Driver version': '6.8.5' },
        }),
    );
    assert.ok(json);
    const log = parseRocmSmiJson(json);
    assert.deepEqual(
      log.gpus.map((g) => [g.index, g.uuid, g.temperatureC, g.powerDrawW]),
      [
        [0, '0xa1c', 38, null],
        [1, '0xa1b', 41, 131],
      ],
    );
    assert.deepEqual(['0x00001A2B', '1a2b', 'N/A', '', null].map(normalizeUniqueId), ['0x1a2b', '0x1a2b', null, null, null]);
    assert.deepEqual(
      parseRocmSmiJson({ card0: null, card1: 'x', system: 3 }),
      { driverVersion: null, gpus: [], deviceIds: [] },
      'odd JSON is no GPU, not a crash',
    );
    assert.equal(rocmSmiJson('ERROR:root:ROCm SMI returned 8 (the expected value is 0)'), null);
    assert.equal(rocmSmiFailure('ERROR:root:ROCm SMI returned 8 (the expected value is 0)'), 'driver-not-loaded');
    assert.equal(rocmSmiFailure('ERROR:root:Driver not initialized (amdgpu not found in modules)'), 'driver-not-loaded');
    assert.equal(rocmSmiFailure('ERROR:root:ROCm SMI returned 4 (the expected value is 0)'), 'no-permission');
    assert.equal(rocmSmiFailure('Traceback (most recent call last):'), 'driver-error');
  },
);

test(
  'system_profiler: a real M1 capture shares system memory; an Intel Mac lists its Radeon with its own VRAM',
  { timeout: 120_000 },
  async () => {
    // pytorch/serve's capture (ORIGINS.md): one Apple M1 with a 7-core GPU, "_name" still Apple's untranslated key.
    const m1 = parseSystemProfilerDisplays(await fixture('system_profiler', 'm1-7core.json'), 8 * GIB) ?? [];
    assert.deepEqual(
      m1.map((g) => [g.vendor, g.index, g.name, g.gpuCores, g.unifiedMemory, g.memoryTotalBytes, g.family]),
      [['apple', 0, 'Apple M1', 7, true, 8 * GIB, 'apple7']],
    );
    // Not a capture (no public one with an origin was found): the keys an Intel Mac's output has.
    const intelMac = parseSystemProfilerDisplays(await fixture('system_profiler', 'intel-mac-radeon.json'), 16 * GIB) ?? [];
    assert.deepEqual(
      intelMac.map((g) => [g.index, g.name, g.unifiedMemory, g.memoryTotalBytes, g.family]),
      [
        [0, 'Intel UHD Graphics 630', true, 16 * GIB, null],
        [1, 'AMD Radeon Pro 5500M', false, 8 * GIB, null],
      ],
    );
    // Later macOS releases give only the Metal version, which is not a GPU family.
    const later = JSON.stringify({
      SPDisplaysDataType: [{ sppci_model: 'Apple M1', spdisplays_mtlgpufamilysupport: 'spdisplays_metal3' }],
    });
    assert.equal(parseSystemProfilerDisplays(later, GIB)?.[0]?.family, null);
  },
);

test('the XML reader decodes entities, skips comments and keeps attributes', { timeout: 120_000 }, () => {
  const root = parseXml('<?xml version="1.0" ?><!-- c --><a x="1 &amp; 2"><b>R&amp;D &lt;x&gt;</b><c/></a>');
  const a = root.children[0]!;
  assert.deepEqual(a.attrs, { x: '1 & 2' });
  assert.deepEqual(
    a.children.map((c) => [c.name, c.text]),
    [
      ['b', 'R&D <x>'],
      ['c', ''],
    ],
  );
});

test('bus ids: NVML, nvidia-smi and ROCm spellings become one', { timeout: 120_000 }, () => {
  assert.deepEqual(['00000000:41:00.0', '0000:41:00.0', '41:00.0', '0000:2D:00.1'].map(normalizeBusId), [
    '0000:41:00.0',
    '0000:41:00.0',
    '0000:41:00.0',
    '0000:2d:00.1',
  ]);
});
