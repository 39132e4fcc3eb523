// The same cases against the native addon (fake driver libraries through its real dlopen path) and the JS fallback
// (fake vendor tools printing the same machine): both must give exactly the expected answer.
import assert from 'node:assert/strict';
import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { build } from 'esbuild';
import { before, describe, test } from 'node:test';
import { HardwareReportSchema, type Gpu, type VendorReport } from '../../main/common/hardware.js';
import type { createDefaultProbe } from '../../main/core/hardware/default-probe.js';
import { createFallbackProbe } from '../../main/core/hardware/fallback-probe.js';
import { createNativeProbe, loadAddon, type Addon } from '../../main/core/hardware/native-probe.js';
import { blankGpu, type HardwareProbe } from '../../main/core/hardware/probe.js';
import { fakeMachine, requireAddon, ROOT, type NvmlMode, type RocmMode } from '../fixtures/hardware/machine.js';
import { tempDir } from '../helpers/fakes.js';

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;
const gpu = (vendor: Gpu['vendor'], index: number, fields: Partial<Gpu>): Gpu => ({ ...blankGpu(vendor, index), ...fields });

const A100 = gpu('nvidia', 0, {
  name: 'NVIDIA A100-SXM4-40GB',
  uuid: 'GPU-6c1b3f0e-2a4d-4f1e-9b7a-0d3c5e8f9a11',
  pciBusId: '0000:01:00.0',
  memoryTotalBytes: 40 * GIB,
  memoryUsedBytes: GIB,
  utilizationPercent: 37,
  temperatureC: 41,
  powerDrawW: 87.45,
  powerLimitW: 400,
  computeCapability: '8.0',
});
const RTX4090 = gpu('nvidia', 1, {
  name: 'NVIDIA GeForce RTX 4090',
  uuid: 'GPU-0f9e8d7c-6b5a-4938-8271-605f4e3d2c1b',
  pciBusId: '0000:41:00.0',
  memoryTotalBytes: 24564 * MIB,
  memoryUsedBytes: 512 * MIB,
  utilizationPercent: 0,
  temperatureC: 35,
  computeCapability: '8.9',
});
const LOST = gpu('nvidia', 1, {
  pciBusId: '0000:41:00.0',
  error: { code: 'gpu-lost', message: 'The GPU stopped responding (lost from the bus): restart the computer to recover it' },
});
const MI210 = gpu('amd', 0, {
  name: 'AMD Instinct MI210',
  uuid: '0x1a2b3c4d5e6f7081',
  pciBusId: '0000:03:00.0',
  memoryTotalBytes: 68702699520,
  memoryUsedBytes: 10960896,
  utilizationPercent: 12,
  temperatureC: 35,
  powerDrawW: 41,
  powerLimitW: 300,
});
const RX7900 = gpu('amd', 1, {
  name: 'Radeon RX 7900 XTX',
  pciBusId: '0000:0c:00.0',
  memoryTotalBytes: 25753026560,
  memoryUsedBytes: 536870912,
  utilizationPercent: 3,
  temperatureC: 48,
  powerDrawW: 25,
  powerLimitW: 327,
});

const found = (gpus: Gpu[], driverVersion: string, runtimeVersion: string | null = null): VendorReport => ({
  status: 'found',
  error: null,
  driverVersion,
  runtimeVersion,
  gpus,
});
const notFound = (status: 'absent' | 'failed', code: NonNullable<VendorReport['error']>['code'], message: string): VendorReport => ({
  status,
  error: { code, message },
  driverVersion: null,
  runtimeVersion: null,
  gpus: [],
});
const NO_NVIDIA = notFound('absent', 'not-installed', 'NVIDIA driver library not found');
const NO_AMD = notFound('absent', 'not-installed', 'AMD ROCm library not found');

const cases: { name: string; nvml: NvmlMode | 'missing'; rocm: RocmMode | 'missing'; nvidia: VendorReport; amd: VendorReport }[] = [
  { name: 'no GPU driver installed: a normal answer, not an error', nvml: 'missing', rocm: 'missing', nvidia: NO_NVIDIA, amd: NO_AMD },
  {
    name: 'NVIDIA and AMD GPUs; readings a GPU does not support are null',
    nvml: 'ok',
    rocm: 'ok',
    nvidia: found([A100, RTX4090], '550.54.15', '12.4'),
    amd: found([MI210, RX7900], '6.7.0'),
  },
  {
    name: 'a GPU that is lost (NVML_ERROR_GPU_IS_LOST) is listed with its error, the others still answer',
    nvml: 'lost',
    rocm: 'missing',
    nvidia: found([A100, LOST], '550.54.15', '12.4'),
    amd: NO_AMD,
  },
  {
    name: 'drivers installed but not loaded (NVML_ERROR_DRIVER_NOT_LOADED, RSMI_STATUS_INIT_ERROR)',
    nvml: 'unloaded',
    rocm: 'init-fail',
    nvidia: notFound('failed', 'driver-not-loaded', 'The NVIDIA driver is installed but not running: restart the computer, or reinstall the driver'),
    amd: notFound('failed', 'driver-not-loaded', 'The AMD driver is installed but not running: restart the computer, or reinstall the driver'),
  },
];

let addon: Addon;
before(() => {
  ({ addon } = requireAddon());
});

for (const c of cases) {
  describe(c.name, () => {
    let native: HardwareProbe;
    let fallback: HardwareProbe;
    before(async () => {
      const machine = await fakeMachine(c.nvml, c.rocm);
      native = createNativeProbe(addon, { kind: 'native', reason: 'test' }, machine);
      fallback = createFallbackProbe({ kind: 'fallback', reason: 'test' }, { env: machine.env });
    });
    for (const [name, probe] of [['native addon', () => native], ['JS fallback', () => fallback]] as const) {
      test(name, async () => {
        const report = HardwareReportSchema.parse(await probe().detect());
        assert.deepEqual(report.vendors.nvidia, c.nvidia);
        assert.deepEqual(report.vendors.amd, c.amd);
        assert.deepEqual(report.vendors.apple, notFound('absent', 'not-installed', 'No Metal GPU (Metal exists only on macOS)'));
      });
    }
  });
}

test('the CPU read by cpuid and sysfs equals the one read from /proc/cpuinfo', async () => {
  const machine = await fakeMachine('missing', 'missing');
  const [native, fallback] = await Promise.all([
    createNativeProbe(addon, { kind: 'native', reason: 'test' }, machine).detect(),
    createFallbackProbe({ kind: 'fallback', reason: 'test' }, { env: machine.env }).detect(),
  ]);
  assert.deepEqual(native.cpu, fallback.cpu);
  assert.equal(native.memoryBytes, fallback.memoryBytes);
  assert.ok(native.cpu.threads >= 1 && native.cpu.cores >= 1 && native.cpu.cores <= native.cpu.threads);
  if (process.arch === 'x64') assert.ok(native.cpu.features.includes('sse4_2'), 'every x86-64 CPU that runs Node 20 has SSE4.2');
});

test('the systeminformation path used off Linux reads the same CPU as /proc/cpuinfo does here', async () => {
  const env = { PATH: (await fakeMachine('missing', 'missing')).env['PATH'] };
  const viaSi = await createFallbackProbe({ kind: 'fallback', reason: 'test' }, { env, platform: 'win32' }).detect();
  const viaProc = await createFallbackProbe({ kind: 'fallback', reason: 'test' }, { env }).detect();
  assert.deepEqual(viaSi.cpu, viaProc.cpu);
});

test('a slow driver call runs off the main thread: the event loop turns while it resolves a Promise', async () => {
  const machine = await fakeMachine('slow', 'missing');
  const order: string[] = [];
  const pending = addon.nvidia(machine.nvmlLibraries[0]!).then((r) => order.push(`probe ${(r as { status: string }).status}`));
  assert.ok(pending instanceof Promise);
  await new Promise((resolve) => setImmediate(resolve));
  order.push('event loop');
  await pending;
  assert.deepEqual(order, ['event loop', 'probe found']);
});

test('the loader prefers prebuilds/<platform>-<arch>, then native/build, and says why it falls back', async () => {
  const root = await tempDir();
  const prebuilds = join(root, 'prebuilds', `${process.platform}-${process.arch}`);
  const local = join(root, 'native', 'build', 'Release');
  const reason = (load: ReturnType<typeof loadAddon>) => (load.addon === null ? load.reason : `loaded ${load.provider.kind}`);

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

test('the loader also works bundled as CommonJS, as in the Electron main process', async () => {
  // Inside the checkout (native/build is git-ignored) so the bundle's external packages resolve.
  const out = join(ROOT, 'native', 'build', 'test-bundle', `probe-${process.pid}.cjs`);
  await build({
    entryPoints: [join(ROOT, 'main', 'core', 'hardware', 'default-probe.ts')],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    packages: 'external',
    logLevel: 'silent',
    absWorkingDir: ROOT,
  });
  const bundled = createRequire(join(ROOT, 'package.json'))(out) as { createDefaultProbe: typeof createDefaultProbe };
  await rm(out);
  const probe = bundled.createDefaultProbe({ root: ROOT });
  assert.equal(probe.provider.kind, 'native');
  assert.equal((await probe.detect()).cpu.threads > 0, true);
});

