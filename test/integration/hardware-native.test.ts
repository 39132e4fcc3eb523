// The native addon on driver behaviour nvml.h and rocm_smi.h document but no capture here shows: readings declined
// one by one, devices gone mid-way, libraries older than a call. The fakes (fake-nvml.c, fake-rocm-smi.c) answer as
// the headers say; each machine is written inline.
import assert from 'node:assert/strict';
import { totalmem } from 'node:os';
import { before, test } from 'node:test';
import type { Gpu, HardwareReport } from '../../main/common/hardware.js';
import { classify } from '../../main/core/hardware/classify.js';
import { createNativeProbe } from '../../main/core/hardware/native-probe.js';
import type { Addon } from '../../main/core/native/addon-load.js';
import { fakeLibrary, requireAddon } from '../fixtures/hardware/machine.js';
import { tempDir } from '../helpers/fakes.js';

let addon: Addon;
before(() => {
  ({ addon } = requireAddon());
});

async function detect(nvml: string | null, rocm: string | null): Promise<HardwareReport> {
  const missing = '/nonexistent/lib.so';
  return createNativeProbe(
    addon,
    { kind: 'native', reason: 'test' },
    {
      nvmlLibraries: [nvml ? await fakeLibrary('fake-nvml.c', nvml) : missing],
      rocmLibraries: [rocm ? await fakeLibrary('fake-rocm-smi.c', rocm) : missing],
      sysRoot: await tempDir(),
    },
  ).detect();
}
const device = (name: string, more = '') =>
  `driver 580.95.05\ncuda 13000\ngpu\nbus 0000000F:01:00.0\nname ${name}\nuuid GPU-${name.length}\nutil 2\ntemp 38\npower 11000\nlimit 100000\ncc 12 1\n${more}`;
const pick = (gpu: Gpu | undefined, ...keys: (keyof Gpu)[]) => Object.fromEntries(keys.map((k) => [k, gpu?.[k]]));

test(
  'GB10 (DGX Spark) shares system memory: NVML declines the memory reading, the system memory is its budget',
  { timeout: 120_000 },
  async () => {
    const report = await detect(device('NVIDIA GB10', 'memory !3\n'), null);
    const [gb10] = report.vendors.nvidia.gpus;
    assert.deepEqual(pick(gb10, 'name', 'unifiedMemory', 'memoryTotalBytes', 'memoryUsedBytes', 'temperatureC', 'notReported', 'error'), {
      name: 'NVIDIA GB10',
      unifiedMemory: true,
      memoryTotalBytes: totalmem(),
      memoryUsedBytes: null,
      temperatureC: 38,
      notReported: ['memoryUsedBytes'],
      error: null,
    });
    assert.equal(gb10?.sources.memoryTotalBytes, 'system memory (integrated GPU)');
    assert.deepEqual(classify(report, null)[0]?.unusable, []);
  },
);

test('any other error on one reading leaves only that reading out', { timeout: 120_000 }, async () => {
  const [gpu] = (await detect(device('NVIDIA L4', 'memory 23034 0 0\npower !999\n'), null)).vendors.nvidia.gpus;
  assert.deepEqual(pick(gpu, 'powerDrawW', 'powerLimitW', 'notReported', 'error'), {
    powerDrawW: null,
    powerLimitW: 100,
    notReported: ['powerDrawW'],
    error: null,
  });
  assert.equal(gpu?.sources.powerDrawW, 'nvmlDeviceGetPowerUsage: Unknown Error');
});

test('a GPU that needs a reset or that the driver no longer finds says so in words', { timeout: 120_000 }, async () => {
  const report = await detect(
    `${device('NVIDIA H100 80GB HBM3', 'memory 81559 0 0\ntemp !16\n')}gpu\nhandle !28\nbus 00000010:01:00.0\n`,
    null,
  );
  assert.deepEqual(
    report.vendors.nvidia.gpus.map((g) => g.error),
    [
      { code: 'reset-required', message: 'The GPU needs a reset after an error: restart the computer' },
      {
        code: 'gpu-not-found',
        message: 'The NVIDIA driver no longer finds this GPU: check that it is seated and powered, then restart the computer',
      },
    ],
  );
  // Known by its bus id when NVML could read it before the error.
  assert.equal(report.vendors.nvidia.gpus[0]?.pciBusId, '000f:01:00.0');
});

test(
  'optional calls are bound one by one: a library without one still answers the rest; without a required one it is too old',
  { timeout: 120_000 },
  async () => {
    const [gpu] = (
      await detect(`missing nvmlDeviceGetCudaComputeCapability nvmlDeviceGetMigMode\n${device('Tesla K80', 'memory 11441 0 0\n')}`, null)
    ).vendors.nvidia.gpus;
    assert.deepEqual(pick(gpu, 'computeCapability', 'mig', 'temperatureC', 'notReported'), {
      computeCapability: null,
      mig: null,
      temperatureC: 38,
      notReported: ['computeCapability'],
    });
    assert.equal(gpu?.sources.computeCapability, 'nvmlDeviceGetCudaComputeCapability missing in this driver');
    const old = await detect(`missing nvmlDeviceGetCount_v2\n${device('Tesla K80')}`, null);
    assert.deepEqual(old.vendors.nvidia.error, { code: 'driver-too-old', message: 'The NVIDIA driver is too old for this app: update it' });
  },
);

test(
  'MI300-class parts have no edge sensor: the junction one is read; power through rsmi_dev_power_get',
  { timeout: 120_000 },
  async () => {
    const report = await detect(
      null,
      'driver 6.8.5\ngpu\nbus 0000:83:00.0\nname AMD Instinct MI300X\nuid 0x51d3a6b7c8e9f001\nvram 206141652992 295997440\nbusy 0\nedge !2\njunction 41000\npower 131000000\ncap 750000000\n',
    );
    const [mi300] = report.vendors.amd.gpus;
    assert.deepEqual(pick(mi300, 'uuid', 'temperatureC', 'powerDrawW', 'powerLimitW', 'notReported'), {
      uuid: '0x51d3a6b7c8e9f001',
      temperatureC: 41,
      powerDrawW: 131,
      powerLimitW: 750,
      notReported: [],
    });
    assert.deepEqual(
      [mi300?.sources.temperatureC, mi300?.sources.powerDrawW],
      ['rsmi_dev_temp_metric_get(junction)', 'rsmi_dev_power_get'],
    );
  },
);
