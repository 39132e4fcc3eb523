// The same real machines against the native addon (fake driver libraries, behaving as nvml.h / rocm_smi.h document,
// through its real dlopen path) and the JS fallback (fake vendor tools printing the real captures, with the real
// exit codes): both must give exactly the expected answer, written from the capture. Captures: ORIGINS.md.
import assert from 'node:assert/strict';
import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { before, describe, test } from 'node:test';
import { HardwareReportSchema, type Gpu, type GpuField, type HardwareReport, type VendorReport } from '../../main/common/hardware.js';
import { cpuModelName } from '../../main/core/hardware/cpu-model.js';
import type { createDefaultProbe } from '../../main/core/hardware/default-probe.js';
import { createFallbackProbe } from '../../main/core/hardware/fallback-probe.js';
import { createNativeProbe } from '../../main/core/hardware/native-probe.js';
import { loadAddon, type Addon } from '../../main/core/native/addon-load.js';
import { blankGpu } from '../../main/core/hardware/probe.js';
import { fakeMachine, requireAddon, ROOT, type AmdCase, type FakeMachine, type NvidiaCase } from '../fixtures/hardware/machine.js';
import { tempDir } from '../helpers/fakes.js';

const MIB = 1024 ** 2;
const gpu = (vendor: Gpu['vendor'], index: number, fields: Partial<Gpu>): Gpu => ({ ...blankGpu(vendor, index), sources: {}, ...fields });

const A100_MIG = gpu('nvidia', 0, {
  name: 'NVIDIA A100-SXM4-80GB',
  uuid: 'GPU-513536b6-7d19-9063-b049-1e69664bb298',
  pciBusId: '0000:01:00.0',
  memoryTotalBytes: 81920 * MIB,
  // Without the 869 MiB the driver reserves: nvidia-smi's "used", and NVML _v2's.
  memoryUsedBytes: 50 * MIB,
  temperatureC: 27,
  powerDrawW: 67.03,
  powerLimitW: 500,
  computeCapability: '8.0',
  mig: {
    enabled: true,
    instances: [3, 4, 5, 6].map((gpuInstanceId, index) => ({
      index,
      gpuInstanceId,
      computeInstanceId: 0,
      memoryTotalBytes: 19968 * MIB,
      memoryUsedBytes: 12 * MIB,
    })),
  },
  notReported: ['utilizationPercent'],
});
const a5000 = (index: number, bus: string, uuid: string, usedMib: number, temperatureC: number, powerDrawW: number) =>
  gpu('nvidia', index, {
    name: 'NVIDIA RTX A5000',
    uuid,
    pciBusId: bus,
    memoryTotalBytes: 24564 * MIB,
    memoryUsedBytes: usedMib * MIB,
    utilizationPercent: 0,
    temperatureC,
    // The 1 s average (average_power_draw, nvmlDeviceGetPowerUsage on Ampere), not the instant reading.
    powerDrawW,
    powerLimitW: 230,
    computeCapability: '8.6',
  });
const A5000_81 = a5000(0, '0000:81:00.0', 'GPU-12345678-aaaa-bbbb-cccc-0123456789ab', 22437, 13, 6.41);
const A5000_C1 = a5000(1, '0000:c1:00.0', 'GPU-12345678-aaaa-bbbb-cccc-0123456789cd', 17253, 15, 13.6);
const GTX1660TI = gpu('nvidia', 0, {
  // Driver 418 predates the card's marketing name.
  name: 'Graphics Device',
  uuid: 'GPU-304a277d-3545-63b8-3a36-dfde3c992989',
  pciBusId: '0000:43:00.0',
  memoryTotalBytes: 5912 * MIB,
  memoryUsedBytes: 0,
  utilizationPercent: 0,
  temperatureC: 40,
  powerDrawW: 8.93,
  powerLimitW: 130,
  // NVML knows it; the fallback names it from PCI device 0x2184 (TU116), as 418's nvidia-smi rejects compute_cap.
  computeCapability: '7.5',
});
const GRID_P4 = gpu('nvidia', 0, {
  name: 'GRID P4-1Q',
  uuid: 'GPU-1b1ea7c7-1c4b-ed49-1c72-26c65f2dd207',
  pciBusId: '0000:00:0b.0',
  memoryTotalBytes: 1024 * MIB,
  memoryUsedBytes: 807 * MIB,
  utilizationPercent: 0,
  temperatureC: 0,
  computeCapability: '6.1',
  notReported: ['powerDrawW', 'powerLimitW'],
});
const LOST = gpu('nvidia', 1, {
  pciBusId: '0000:a1:00.0',
  error: { code: 'gpu-lost', message: 'The GPU stopped responding (lost from the bus): restart the computer to recover it' },
});
const rx6700xt = (memoryUsedBytes: number) =>
  gpu('amd', 0, {
    // By its PCI device id 0x73df (pci.ids), the same whether ROCm has a name ("Navi 22 [Radeon RX 6700/6700 XT /
    // 6800M]", 6.1) or only an id ("0x1002", the vendor's, 4.3).
    name: 'AMD Radeon RX 6700/6700 XT/6750 XT / 6800M/6850M XT',
    pciBusId: '0000:07:00.0',
    memoryTotalBytes: 12868124672,
    memoryUsedBytes,
    utilizationPercent: 0,
    temperatureC: 45,
    powerDrawW: 6,
    powerLimitW: 211,
    notReported: ['uuid'],
  });
const mi100 = (index: number, pciBusId: string, temperatureC: number, powerDrawW: number) =>
  gpu('amd', index, {
    name: 'AMD Instinct MI100',
    pciBusId,
    memoryTotalBytes: 34342961152,
    memoryUsedBytes: 6782976,
    utilizationPercent: 0,
    temperatureC,
    powerDrawW,
    powerLimitW: 290,
    notReported: ['uuid'],
  });
const ARC_A770 = gpu('intel', 0, { name: 'Intel Arc A770', pciBusId: '0000:03:00.0', memoryTotalBytes: 16 * 1024 * MIB, temperatureC: 43 });

const found = (gpus: Gpu[], driverVersion: string | null, runtimeVersion: string | null = null): VendorReport => ({
  status: 'found',
  error: null,
  driverVersion,
  runtimeVersion,
  gpus,
});
const DRM_INTEL = found(
  [
    ARC_A770,
    gpu('intel', 1, {
      name: 'Intel AlderLake-S GT1',
      pciBusId: '0000:00:02.0',
      unifiedMemory: true,
      memoryTotalBytes: totalmem(),
      notReported: ['temperatureC'],
    }),
  ],
  `xe, i915 (Linux ${release()})`,
);
const notFound = (status: 'absent' | 'failed', code: NonNullable<VendorReport['error']>['code'], message: string): VendorReport => ({
  status,
  error: { code, message },
  driverVersion: null,
  runtimeVersion: null,
  gpus: [],
});
const NO_NVIDIA = notFound('absent', 'not-installed', 'NVIDIA driver library not found');
const NO_AMD = notFound('absent', 'not-installed', 'AMD ROCm library not found');
const NO_INTEL = notFound('absent', 'not-installed', 'No Intel GPU found');
const AMD_NOT_RUNNING = notFound(
  'failed',
  'driver-not-loaded',
  'The AMD driver is installed but not running: restart the computer, or reinstall the driver',
);

interface Case {
  name: string;
  nvidia: NvidiaCase | 'missing';
  amd: AmdCase | 'missing';
  intel?: string;
  levelZero?: string;
  expected: { nvidia: VendorReport; amd: VendorReport; intel?: VendorReport };
  /** Where the providers honestly differ (named in the case). */
  fallback?: { nvidia?: VendorReport; intel?: VendorReport };
}

const cases: Case[] = [
  {
    name: 'no GPU driver installed: a normal answer, not an error',
    nvidia: 'missing',
    amd: 'missing',
    expected: { nvidia: NO_NVIDIA, amd: NO_AMD },
  },
  {
    name: 'A100 in MIG mode (driver 535), a Radeon on ROCm 4.3 that answers N/A and exits 2, Intel GPUs without Level Zero',
    nvidia: 'a100-mig-535',
    amd: 'rx6700xt-rocm430',
    intel: 'arc-a770-xe-and-igpu',
    expected: { nvidia: found([A100_MIG], '535.54.03', '12.2'), amd: found([rx6700xt(1622728704)], '6.3.6'), intel: DRM_INTEL },
  },
  {
    name: 'two A5000s (driver 590, XML v13), an Arc A770 on xe with the integrated GPU, a Radeon on ROCm 6.1',
    nvidia: 'dual-a5000-590',
    amd: 'rx6700xt-rocm612',
    intel: 'arc-a770-xe-and-igpu',
    levelZero: 'arc-a770-and-igpu',
    expected: {
      nvidia: found([A5000_81, A5000_C1], '590.44.01', '13.1'),
      amd: found([rx6700xt(1572745216)], '6.3.6'),
      // Level Zero sysman: the memory in use, for the GPUs (not the NPU) the DRM lists, named by PCI device id as
      // the DRM read names them (not "Intel(R) Arc(TM) A770 Graphics" and "Intel(R) Graphics [0x4680]").
      intel: found(
        [
          gpu('intel', 0, {
            name: 'Intel Arc A770',
            pciBusId: '0000:03:00.0',
            memoryTotalBytes: 16 * 1024 * MIB,
            memoryUsedBytes: 1024 * MIB,
            temperatureC: 43,
          }),
          gpu('intel', 1, {
            name: 'Intel AlderLake-S GT1',
            pciBusId: '0000:00:02.0',
            unifiedMemory: true,
            memoryTotalBytes: totalmem(),
            notReported: ['temperatureC'],
          }),
        ],
        '1.3.29735',
      ),
    },
    // Without Level Zero (the fallback, or no loader): what the DRM sysfs says, same ids and indexes.
    fallback: { intel: DRM_INTEL },
  },
  {
    name: 'driver 418 (no _v2 / V calls, no compute_cap field) and two MI100s on ROCm 5.7 that exit 2',
    nvidia: 'gtx1660ti-418',
    amd: 'mi100-rocm571',
    expected: {
      nvidia: found([GTX1660TI], '418.43', '10.1'),
      amd: found([mi100(0, '0000:1e:00.0', 31, 39), mi100(1, '0000:22:00.0', 30, 37)], '6.2.4'),
    },
  },
  {
    name: 'a Windows vGPU guest without power readings (still usable) and ROCm whose rsmi_init fails (exit 8)',
    nvidia: 'grid-p4-vgpu-win-513',
    amd: 'init-fail',
    expected: { nvidia: found([GRID_P4], '513.46', '11.6'), amd: AMD_NOT_RUNNING },
  },
  {
    name: 'one GPU of three fell off the bus: it is listed with its error, the healthy ones are kept; amdgpu not loaded',
    nvidia: 'lost-590',
    amd: 'not-initialized',
    expected: { nvidia: found([A5000_81, LOST, { ...A5000_C1, index: 2 }], '590.44.01', '13.1'), amd: AMD_NOT_RUNNING },
  },
  {
    name: '"No devices were found" (exit 6) is 0 GPUs, not a driver failure',
    nvidia: 'no-devices',
    amd: 'missing',
    expected: { nvidia: found([], '550.54.15', '12.4'), amd: NO_AMD },
    // nvidia-smi prints nothing else then: the driver version is NVML's to tell.
    fallback: { nvidia: found([], null) },
  },
  {
    name: 'driver installed but not loaded (NVML_ERROR_DRIVER_NOT_LOADED, nvidia-smi exit 9)',
    nvidia: 'unloaded',
    amd: 'missing',
    expected: {
      nvidia: notFound(
        'failed',
        'driver-not-loaded',
        'The NVIDIA driver is installed but not running: restart the computer, or reinstall the driver',
      ),
      amd: NO_AMD,
    },
  },
];

/** Sources say which call or tool answered: they differ by provider by design, and are checked on their own. */
const withoutSources = (report: VendorReport): VendorReport => ({ ...report, gpus: report.gpus.map((g) => ({ ...g, sources: {} })) });

let addon: Addon;
before(() => {
  ({ addon } = requireAddon());
});

const probes = (machine: FakeMachine) => ({
  native: createNativeProbe(addon, { kind: 'native', reason: 'test' }, machine),
  fallback: createFallbackProbe(
    { kind: 'fallback', reason: 'test' },
    { env: machine.env, sysRoot: machine.sysRoot, pciNames: machine.pciNames },
  ),
});

for (const c of cases) {
  describe(c.name, { timeout: 120_000 }, () => {
    let machine: ReturnType<typeof probes>;
    before(async () => {
      machine = probes(
        await fakeMachine(c.nvidia, c.amd, { ...(c.intel ? { intel: c.intel } : {}), ...(c.levelZero ? { levelZero: c.levelZero } : {}) }),
      );
    });
    for (const provider of ['native', 'fallback'] as const) {
      test(provider === 'native' ? 'native addon' : 'JS fallback', { timeout: 120_000 }, async () => {
        const report = HardwareReportSchema.parse(await machine[provider].detect());
        const differs = provider === 'fallback' ? c.fallback : undefined;
        assert.deepEqual(withoutSources(report.vendors.nvidia), differs?.nvidia ?? c.expected.nvidia);
        assert.deepEqual(withoutSources(report.vendors.amd), c.expected.amd);
        assert.deepEqual(withoutSources(report.vendors.intel), differs?.intel ?? c.expected.intel ?? NO_INTEL);
        assert.deepEqual(report.vendors.apple, notFound('absent', 'not-installed', 'No Metal GPU (Metal exists only on macOS)'));
      });
    }
  });
}

test(
  'every field says where it came from: the NVML call (the newer one where the driver has it) or the tool',
  { timeout: 120_000 },
  async () => {
    const source = async (c: NvidiaCase, field: GpuField) => {
      const m = probes(await fakeMachine(c, 'missing'));
      const [native, fallback] = await Promise.all([m.native.detect(), m.fallback.detect()]);
      return [native, fallback].map((r: HardwareReport) => r.vendors.nvidia.gpus[0]?.sources[field]);
    };
    assert.deepEqual(await source('dual-a5000-590', 'memoryUsedBytes'), ['nvmlDeviceGetMemoryInfo_v2', 'nvidia-smi -q -x']);
    assert.deepEqual(await source('gtx1660ti-418', 'memoryUsedBytes'), ['nvmlDeviceGetMemoryInfo', 'nvidia-smi -q -x']);
    assert.deepEqual(await source('gtx1660ti-418', 'temperatureC'), ['nvmlDeviceGetTemperature', 'nvidia-smi -q -x']);
    assert.deepEqual(await source('dual-a5000-590', 'temperatureC'), ['nvmlDeviceGetTemperatureV', 'nvidia-smi -q -x']);
    assert.deepEqual(await source('gtx1660ti-418', 'computeCapability'), [
      'nvmlDeviceGetCudaComputeCapability',
      'PCI device id 218410DE (the driver predates compute_cap)',
    ]);
    assert.deepEqual(await source('grid-p4-vgpu-win-513', 'powerDrawW'), [
      'nvmlDeviceGetPowerUsage: Not Supported',
      'nvidia-smi -q -x: N/A',
    ]);
  },
);

test(
  "one truth for the CPU on Linux: both probes give the kernel's record with its source, whatever cpuid says",
  { timeout: 120_000 },
  async () => {
    // A virtual machine whose cpuid brand string is not the name the kernel shows (issue 30).
    let asked = 0;
    const vm: Addon = {
      ...addon,
      cpu: () => {
        asked++;
        return {
          vendor: 'AuthenticAMD',
          model: 'Oxide Virtual Turin-like Processor',
          arch: 'x64',
          cores: 1,
          threads: 1,
          features: [],
          sources: {},
        };
      },
    };
    const machine = await fakeMachine('missing', 'missing');
    const [native, fallback] = await Promise.all([
      createNativeProbe(vm, { kind: 'native', reason: 'test' }, { ...machine, platform: 'linux' }).detect(),
      createFallbackProbe({ kind: 'fallback', reason: 'test' }, { env: machine.env, platform: 'linux' }).detect(),
    ]);
    assert.equal(asked, 0, 'cpuid is not asked on Linux');
    assert.deepEqual(native.cpu, fallback.cpu);
    assert.deepEqual(native.cpu.sources, {
      vendor: '/proc/cpuinfo',
      model: '/proc/cpuinfo',
      arch: 'process.arch',
      cores: '/proc/cpuinfo',
      threads: '/proc/cpuinfo',
      features: '/proc/cpuinfo',
    });
    assert.equal(native.memoryBytes, fallback.memoryBytes);
  },
);

test("off Linux the addon's CPU reading answers, the model being the OS's brand string in one spelling", { timeout: 60_000 }, async () => {
  const raw = {
    vendor: 'Apple',
    model: 'Apple M1',
    arch: 'arm64',
    cores: 8,
    threads: 8,
    features: ['neon', 'dotprod'],
    sources: { vendor: 'macOS on arm64', model: 'sysctl machdep.cpu.brand_string', features: 'sysctl hw.optional.arm' },
  };
  const machine = await fakeMachine('missing', 'missing');
  const report = await createNativeProbe(
    { ...addon, cpu: () => raw },
    { kind: 'native', reason: 'test' },
    { ...machine, platform: 'darwin' },
  ).detect();
  assert.deepEqual(HardwareReportSchema.parse(report).cpu, {
    ...raw,
    vendor: 'apple',
    model: cpuModelName(cpus()[0]!.model),
    sources: { ...raw.sources, model: 'os.cpus()' },
  });
});

test('off Linux both probes give the same CPU model, whatever cpuid or systeminformation spell', { timeout: 60_000 }, async () => {
  // cpuid's brand string on a virtual machine (issue 30), which the OS's own name replaces in both probes.
  const vm = {
    vendor: 'AuthenticAMD',
    model: 'Oxide Virtual Turin-like Processor',
    arch: 'x64',
    cores: 1,
    threads: 1,
    features: [],
    sources: {},
  };
  const machine = await fakeMachine('missing', 'missing');
  const [native, fallback] = await Promise.all([
    createNativeProbe({ ...addon, cpu: () => vm }, { kind: 'native', reason: 'test' }, { ...machine, platform: 'win32' }).detect(),
    createFallbackProbe({ kind: 'fallback', reason: 'test' }, { env: machine.env, platform: 'win32' }).detect(),
  ]);
  assert.equal(native.cpu.model, fallback.cpu.model);
  assert.equal(native.cpu.model, cpuModelName(cpus()[0]!.model));
  assert.deepEqual([native.cpu.sources?.model, fallback.cpu.sources?.model], ['os.cpus()', 'os.cpus()']);
});

test('the systeminformation path used off Linux gives a whole CPU record and names its sources', { timeout: 60_000 }, async () => {
  const env = { PATH: (await fakeMachine('missing', 'missing')).env['PATH'] };
  const { cpu } = HardwareReportSchema.parse(
    await createFallbackProbe({ kind: 'fallback', reason: 'test' }, { env, platform: 'win32' }).detect(),
  );
  assert.ok(cpu.threads >= 1 && cpu.cores >= 1 && cpu.cores <= cpu.threads, `${cpu.cores} cores, ${cpu.threads} threads`);
  assert.equal(cpu.arch, process.arch);
  assert.deepEqual(cpu.sources, {
    vendor: 'systeminformation cpu()',
    model: 'os.cpus()',
    arch: 'process.arch',
    cores: 'systeminformation cpu()',
    threads: 'systeminformation cpu()',
    features: 'systeminformation cpuFlags()',
  });
});

test('a slow driver call runs off the main thread: the event loop turns while it resolves a Promise', { timeout: 120_000 }, async () => {
  const machine = await fakeMachine('dual-a5000-590', 'missing', { slow: true });
  const order: string[] = [];
  const pending = addon.nvidia(machine.nvmlLibraries[0]!).then((r) => order.push(`probe ${(r as { status: string }).status}`));
  assert.ok(pending instanceof Promise);
  await new Promise((resolve) => setImmediate(resolve));
  order.push('event loop');
  await pending;
  assert.deepEqual(order, ['event loop', 'probe found']);
});

test('the loader prefers prebuilds/<platform>-<arch>, then native/build, and says why it falls back', { timeout: 120_000 }, async () => {
  const root = await tempDir();
  const prebuilds = join(root, 'prebuilds', `${process.platform}-${process.arch}`);
  const local = join(root, 'native', 'build', 'Release');
  const reason = (load: ReturnType<typeof loadAddon>) => (load.ok ? `loaded ${load.value.provider.kind}` : load.error.message);

  assert.equal(reason(loadAddon(root)), 'native addon not built');
  await mkdir(local, { recursive: true });
  await writeFile(join(local, 'synor_hardware.node'), 'not a shared object');
  assert.match(reason(loadAddon(root)), /^native addon failed to load \(.*synor_hardware\.node: /);
  await mkdir(prebuilds, { recursive: true });
  await copyFile(join(ROOT, 'native', 'build', 'Release', 'synor_hardware.node'), join(prebuilds, 'synor_hardware.node'));
  assert.equal(reason(loadAddon(root)), 'loaded prebuilt');
  assert.equal(reason(loadAddon(ROOT)), 'loaded native');
  assert.equal(reason(loadAddon(null)), 'app folder not found');
});

test(
  'the loader and the probe child also work bundled, the probe as CommonJS as in the Electron main process',
  { timeout: 120_000 },
  async () => {
    // Inside the checkout (native/build is git-ignored) so the bundles' external packages resolve; the child is found
    // next to the bundle that forks it, as build-main.mjs lays them out.
    const dir = join(ROOT, 'native', 'build', 'test-bundle', `probe-${process.pid}`);
    const bundle = (entry: string, outfile: string, format: 'cjs' | 'esm') =>
      build({
        entryPoints: [join(ROOT, 'main', 'core', 'hardware', entry)],
        outfile: join(dir, outfile),
        bundle: true,
        platform: 'node',
        format,
        packages: 'external',
        logLevel: 'silent',
        absWorkingDir: ROOT,
      });
    await Promise.all([bundle('default-probe.ts', 'probe.cjs', 'cjs'), bundle('probe-child.ts', 'probe-child.js', 'esm')]);
    await writeFile(join(dir, 'package.json'), '{"type": "module"}');
    const bundled = createRequire(join(ROOT, 'package.json'))(join(dir, 'probe.cjs')) as { createDefaultProbe: typeof createDefaultProbe };
    const probe = bundled.createDefaultProbe({ root: ROOT });
    assert.equal(probe.provider.kind, 'native');
    const report = HardwareReportSchema.parse(await probe.detect());
    assert.equal(probe.provider.kind, 'native', 'the bundled child answered; no fallback');
    assert.ok(report.cpu.threads > 0);
    await rm(dir, { recursive: true });
  },
);
