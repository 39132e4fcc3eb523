// The fallback's parsers on recorded outputs beyond the parity machine: other drivers, other CPUs, macOS.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  nvidiaSmiExitCode,
  parseComputeCaps,
  parseCpuinfo,
  parseNvidiaSmiFailures,
  parseNvidiaSmiXml,
  parseRocmSmiJson,
  parseSystemProfilerDisplays,
  parseXml,
  rocmSmiFailure,
} from '../../main/core/hardware/parsers.js';
import { avxSupport, normalizeBusId } from '../../main/core/hardware/probe.js';
import { FIXTURES } from '../fixtures/hardware/machine.js';

const fixture = (...path: string[]) => readFile(join(FIXTURES, ...path), 'utf8');
const GIB = 1024 ** 3;

test('/proc/cpuinfo of a two-socket Xeon with hyper-threading: 4 cores, 8 threads, AVX-512 VNNI', async () => {
  const cpu = parseCpuinfo(await fixture('cpuinfo', 'xeon-2-sockets.txt'), 'x64');
  assert.deepEqual(cpu, {
    vendor: 'intel',
    model: 'Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz',
    arch: 'x64',
    cores: 4,
    threads: 8,
    features: ['sse4_2', 'avx', 'avx2', 'fma', 'avx512f', 'avx512_vnni'],
  });
  assert.equal(avxSupport(cpu.features), 'avx512');
});

test('/proc/cpuinfo of an ARM Neoverse: NEON, dot product and SVE from the kernel hwcap names', async () => {
  assert.deepEqual(parseCpuinfo(await fixture('cpuinfo', 'neoverse-v1.txt'), 'arm64'), {
    vendor: 'arm',
    model: '',
    arch: 'arm64',
    cores: 4,
    threads: 4,
    features: ['neon', 'dotprod', 'sve'],
  });
});

test('nvidia-smi of a 470 driver (power_readings, power_limit): a Tesla T4', async () => {
  const log = parseNvidiaSmiXml(await fixture('nvidia-smi', 'driver-470', 'q-x.stdout'));
  assert.equal(log.driverVersion, '470.182.03');
  assert.equal(log.cudaVersion, '11.4');
  const [t4] = log.gpus;
  assert.equal(t4?.name, 'Tesla T4');
  assert.equal(t4?.pciBusId, '0000:3b:00.0');
  assert.equal(t4?.memoryTotalBytes, 15109 * 1024 ** 2);
  assert.equal(t4?.powerDrawW, 9.47);
  assert.equal(t4?.powerLimitW, 70);
});

test('nvidia-smi: compute capabilities by bus id, lost GPUs from stderr, documented exit codes', () => {
  assert.deepEqual(
    [...parseComputeCaps('00000000:01:00.0, 8.0\n00000000:41:00.0, [N/A]\n\n')],
    [['0000:01:00.0', '8.0']],
  );
  assert.deepEqual(parseNvidiaSmiFailures('Unable to determine the device handle for GPU0000:02:00.0: Unknown Error\n'), [
    { pciBusId: '0000:02:00.0', code: 'driver-error', detail: 'Unknown Error' },
  ]);
  assert.deepEqual([4, 9, 12, 15, 18, 255, null].map(nvidiaSmiExitCode), [
    'no-permission',
    'driver-not-loaded',
    'not-installed',
    'gpu-lost',
    'driver-mismatch',
    'driver-error',
    'driver-error',
  ]);
  assert.throws(() => parseNvidiaSmiXml('NVIDIA-SMI has failed'), /no <nvidia_smi_log>/);
});

test('rocm-smi of ROCm 5 (other key spelling, N/A readings)', async () => {
  const log = parseRocmSmiJson(await fixture('rocm-smi', 'rocm-5-keys.json'));
  assert.equal(log.driverVersion, '6.2.4');
  const [card] = log.gpus;
  assert.equal(card?.name, 'Radeon RX 6800');
  assert.equal(card?.uuid, null);
  assert.equal(card?.pciBusId, '0000:2d:00.0');
  assert.equal(card?.memoryTotalBytes, 17163091968);
  assert.equal(card?.memoryUsedBytes, null);
  assert.equal(card?.temperatureC, null);
  assert.equal(card?.powerDrawW, 17);
  assert.equal(rocmSmiFailure('ERROR:root:ROCm SMI returned 4 (the expected value is 0)'), 'no-permission');
  assert.equal(rocmSmiFailure('Traceback (most recent call last):'), 'driver-error');
});

test('system_profiler: Apple silicon shares system memory; an Intel Mac lists its Radeon with its own VRAM', async () => {
  const [m2] = parseSystemProfilerDisplays(await fixture('system_profiler', 'm2-pro.json'), 32 * GIB);
  assert.deepEqual([m2?.name, m2?.unifiedMemory, m2?.memoryTotalBytes, m2?.gpuCores], ['Apple M2 Pro', true, 32 * GIB, 19]);
  const intelMac = parseSystemProfilerDisplays(await fixture('system_profiler', 'intel-mac-radeon.json'), 16 * GIB);
  assert.deepEqual(
    intelMac.map((g) => [g.index, g.name, g.unifiedMemory, g.memoryTotalBytes]),
    [
      [0, 'Intel UHD Graphics 630', true, 16 * GIB],
      [1, 'AMD Radeon Pro 5500M', false, 8 * GIB],
    ],
  );
});

test('the XML reader decodes entities, skips comments and keeps attributes', () => {
  const root = parseXml('<?xml version="1.0" ?><!-- c --><a x="1 &amp; 2"><b>R&amp;D &lt;x&gt;</b><c/></a>');
  const a = root.children[0]!;
  assert.deepEqual(a.attrs, { x: '1 & 2' });
  assert.deepEqual(a.children.map((c) => [c.name, c.text]), [['b', 'R&D <x>'], ['c', '']]);
});

test('bus ids: NVML, nvidia-smi and ROCm spellings become one', () => {
  assert.deepEqual(['00000000:41:00.0', '0000:41:00.0', '41:00.0', '0000:2D:00.1'].map(normalizeBusId), [
    '0000:41:00.0',
    '0000:41:00.0',
    '0000:41:00.0',
    '0000:2d:00.1',
  ]);
});
