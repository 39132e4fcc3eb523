// Vendor tools' outputs that broke detection (issue 30), each on the real capture it came from (ORIGINS.md): power
// readings a current driver declines, CPUs whose /proc/cpuinfo has another layout, amd-smi, JSON with text around it.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { amdSmiFailure, parseAmdSmi } from '../../main/core/hardware/amd-smi.js';
import { parseNvidiaSmiXml } from '../../main/core/hardware/nvidia-smi.js';
import { parseCpuinfo, parseSystemProfilerDisplays, reading } from '../../main/core/hardware/parsers.js';
import { vendorReport } from '../../main/core/hardware/probe.js';
import { parseRocmSmiJson, rocmSmiJson } from '../../main/core/hardware/rocm-smi.js';
import { extractJson } from '../../main/core/hardware/tool-json.js';
import { FIXTURES } from '../fixtures/hardware/machine.js';

const fixture = (...path: string[]) => readFile(join(FIXTURES, ...path), 'utf8');
const MIB = 1024 ** 2;
const T = { timeout: 60_000 };

test('GeForce on driver 590: an average power of "N/A" gives way to the real instant reading', T, async () => {
  const draws = async (name: string) =>
    parseNvidiaSmiXml(await fixture('nvidia-smi', name, 'q-x.stdout')).gpus.map((g) => [g.powerDrawW, g.powerLimitW]);
  // Before: null for each (the chain stopped at the first element present, which said N/A).
  assert.deepEqual(await draws('dual-2070-590'), [
    [9.23, 175],
    [11.82, 175],
  ]);
  assert.deepEqual(await draws('dual-2080-590'), [
    [1, 215],
    [1.62, 215],
  ]);
  // netdata's capture: " N/A " for both the legacy and the average element, padded with spaces.
  const [pro] = parseNvidiaSmiXml(await fixture('nvidia-smi', 'rtx-pro-6000-580', 'q-x.stdout')).gpus;
  assert.deepEqual(
    [pro?.name, pro?.powerDrawW, pro?.temperatureC, pro?.sources.powerDrawW],
    ['NVIDIA RTX PRO 6000 Blackwell', 66.84, 37, 'nvidia-smi -q -x'],
  );
});

test('/proc/cpuinfo of s390x, legacy ARMv6, MIPS and LoongArch: threads, cores and the model', T, async () => {
  const cpu = async (file: string, arch: string) => {
    const { model, cores, threads, vendor } = parseCpuinfo(await fixture('cpuinfo', file), arch);
    return { model, cores, threads, vendor };
  };
  // "processor 0: version = …" lines, then one block per CPU: 4 threads on 2 cores (core ids 0, 0, 1, 1).
  assert.deepEqual(await cpu('s390x-z13.txt', 's390x'), { model: 'IBM/S390 machine type 2964', cores: 2, threads: 4, vendor: 'other' });
  // No "processor" line at all: one CPU.
  assert.deepEqual(await cpu('armv6-legacy.txt', 'arm'), {
    model: 'ARMv6-compatible processor rev 5 (v6l)',
    cores: 1,
    threads: 1,
    vendor: 'arm',
  });
  assert.deepEqual(await cpu('mips-octeon.txt', 'mips64el'), { model: 'Cavium Octeon+ V0.1', cores: 2, threads: 2, vendor: 'other' });
  assert.deepEqual(await cpu('loongarch-3a5000.txt', 'loong64'), { model: 'Loongson-3A5000', cores: 4, threads: 4, vendor: 'other' });
});

test('a decimal comma reads as a decimal point; one that could be a thousands separator is refused, never truncated', T, () => {
  assert.deepEqual(
    ['27,23 W', '27.23 W', '41 C', '37 %', '1,234 W', '1,234.5 W', '27,2 W', 'N/A', '[Not Supported]', ' 66.84 W ', '.5 W', '-5 C'].map(
      (v) => reading(v),
    ),
    [27.23, 27.23, 41, 37, null, null, 27.2, null, null, 66.84, null, null],
  );
});

test('the JSON inside a tool output: the longest balanced document that parses, braces in strings and warnings aside', T, () => {
  assert.deepEqual(extractJson('WARNING: card {1} is {busy\n{"a": "}{", "b": [1, {"c": 2}]}\nDone {'), { a: '}{', b: [1, { c: 2 }] });
  assert.deepEqual(extractJson('notice [1]\n[{"gpu": 0}]'), [{ gpu: 0 }]);
  assert.equal(extractJson('{"cut": [1, 2'), null);
  assert.equal(extractJson(''), null);
  assert.equal(extractJson('ERROR:root:ROCm SMI returned 8 (the expected value is 0)'), null);
});

test('rocm-smi with text after its JSON, or a "{" in a warning before it, still gives every GPU', T, async () => {
  const capture = await fixture('rocm-smi', 'rx6700xt-rocm612', 'json.stdout');
  const plain = parseRocmSmiJson(rocmSmiJson(capture) ?? {});
  assert.equal(plain.gpus.length, 1);
  // Before: the text after the JSON made JSON.parse fail, and a "{" before it was taken for its start: no GPU.
  for (const noisy of [`${capture}\nWARNING: 1 GPU has an old firmware\n`, `WARNING: {unsupported} field skipped\n${capture}`]) {
    assert.deepEqual(parseRocmSmiJson(rocmSmiJson(noisy) ?? {}), plain);
  }
});

test('system_profiler printing nothing, or stopping half-way, with exit 0 is no answer rather than a thrown error', T, async () => {
  const m1 = await fixture('system_profiler', 'm1-7core.json');
  assert.equal(parseSystemProfilerDisplays('', 8 * 1024 * MIB), null);
  // Cut short, the inner objects (the display) still parse; the list of GPUs does not.
  assert.equal(parseSystemProfilerDisplays(m1.slice(0, Math.floor(m1.length * 0.8)), 8 * 1024 * MIB), null);
  assert.equal(parseSystemProfilerDisplays(m1, 8 * 1024 * MIB)?.length, 1);
});

test('amd-smi static and metric of an RX 6600 (ROCm 6: a list of GPUs) are joined by GPU number', T, async () => {
  const log = parseAmdSmi(
    extractJson(await fixture('amd-smi', 'rx6600-rocm6', 'static.stdout')),
    extractJson(await fixture('amd-smi', 'rx6600-rocm6', 'metric.stdout')),
  );
  assert.equal(log.driverVersion, '7.0.0-3-pve');
  const report = vendorReport('amd', { status: 'found', driverVersion: log.driverVersion, gpus: log.gpus });
  const [gpu] = report.gpus;
  assert.deepEqual(
    {
      name: gpu?.name,
      uuid: gpu?.uuid,
      pciBusId: gpu?.pciBusId,
      memoryTotalBytes: gpu?.memoryTotalBytes,
      memoryUsedBytes: gpu?.memoryUsedBytes,
      utilizationPercent: gpu?.utilizationPercent,
      temperatureC: gpu?.temperatureC,
      powerDrawW: gpu?.powerDrawW,
      powerLimitW: gpu?.powerLimitW,
      notReported: gpu?.notReported,
    },
    {
      // amd-smi cuts the name where pci.ids has more ("…/6600M]"); it is reported as the tool printed it.
      name: 'Navi 23 [Radeon RX 6600/6600 XT',
      uuid: null,
      pciBusId: '0000:0b:00.0',
      memoryTotalBytes: 8176 * MIB,
      memoryUsedBytes: 202 * MIB,
      utilizationPercent: 1,
      temperatureC: 36,
      powerDrawW: 6,
      powerLimitW: 100,
      notReported: ['uuid'],
    },
  );
  assert.deepEqual(
    [gpu?.sources.name, gpu?.sources.memoryTotalBytes, gpu?.sources.uuid],
    ['amd-smi static --json', 'amd-smi metric --json', 'amd-smi static --json: N/A'],
  );
});

test(
  'amd-smi static of an MI210 (ROCm 7: {"gpu_data": […]}) alone, with text around it: the GPU without its live readings',
  T,
  async () => {
    const output = `WARNING: User is missing the following required groups: render, video. Please add user to these groups.\n${await fixture('amd-smi', 'mi210-static', 'static.stdout')}\n`;
    const [gpu] = parseAmdSmi(extractJson(output), null).gpus;
    assert.deepEqual(
      [gpu?.index, gpu?.name, gpu?.memoryTotalBytes, gpu?.powerLimitW, gpu?.powerDrawW, gpu?.sources.memoryTotalBytes],
      [0, 'AMD Instinct MI210', 65520 * MIB, 300, null, 'amd-smi static --json'],
    );
    assert.deepEqual(['AMDSMI_STATUS_DRIVER_NOT_LOADED', 'AMDSMI_STATUS_NO_PERM', 'Segmentation fault'].map(amdSmiFailure), [
      'driver-not-loaded',
      'no-permission',
      'driver-error',
    ]);
  },
);
