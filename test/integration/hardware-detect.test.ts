// `npm run detect`: the command a user pastes into a bug report, run as they would (the compiled command through
// scripts/detect.mjs, which builds it where it is missing), on a fake machine.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { HardwareReportSchema } from '../../main/common/hardware.js';
import { compile, fakeMachine, FIXTURES, ROOT } from '../fixtures/hardware/machine.js';
import { tempDir } from '../helpers/fakes.js';

const run = promisify(execFile);
const detect = async (env: NodeJS.ProcessEnv, ...args: string[]) =>
  (
    await run(process.execPath, [join(ROOT, 'scripts', 'detect.mjs'), ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      timeout: 120_000,
    })
  ).stdout;

test('prints the probe that answered, every field with where it came from, and why a GPU is not used', { timeout: 180_000 }, async () => {
  const machine = await fakeMachine('a100-mig-535', 'rx6700xt-rocm430');
  const text = await detect({ SYNOR_NVML_LIBRARY: machine.nvmlLibraries[0], SYNOR_ROCM_SMI_LIBRARY: machine.rocmLibraries[0] });
  assert.match(text, /^Probe: native \(locally built addon native\/build\/Release\/synor_hardware\.node\)$/m);
  assert.match(text, /^ {2}sources: vendor, model, cores, threads, features: \/proc\/cpuinfo; arch: process\.arch$/m);
  assert.match(text, /^Memory: .* {3}\[os\.totalmem\(\)\]$/m);
  assert.match(text, /^NVIDIA: found, driver 535\.54\.03, CUDA 12\.2$/m);
  assert.match(text, /^ {2}GPU 0: NVIDIA A100-SXM4-80GB \(not used: MIG mode is on: the GPU is split into 4 instances/m);
  assert.match(text, /^ {4}memoryUsedBytes +50 MiB {3}\[nvmlDeviceGetMemoryInfo_v2\]$/m);
  assert.match(text, /^ {4}utilizationPercent +not reported by the driver {3}\[nvmlDeviceGetUtilizationRates: Not Supported\]$/m);
  assert.match(text, /^ {6}#3 GPU instance 6, compute instance 0, 19\.5 GB$/m);
  assert.match(text, /^ {4}name +not reported by the driver {3}\[rsmi_dev_name_get: "0x1002" is an id, not a name\]$/m);
  assert.doesNotMatch(text.slice(text.indexOf('AMD: found')), /computeCapability/, 'only what the vendor is asked for');
});

test(
  '--fallback --json: the JS fallback on the vendor tools, as JSON a program can read, CPU sources included',
  { timeout: 180_000 },
  async () => {
    const machine = await fakeMachine('gtx1660ti-418', 'missing');
    const json = JSON.parse(await detect({ PATH: `${machine.env['PATH']}:${process.env['PATH']}` }, '--fallback', '--json'));
    assert.equal(json.provider.kind, 'fallback');
    const report = HardwareReportSchema.parse(json.report);
    const [gpu] = report.vendors.nvidia.gpus;
    assert.deepEqual(
      [gpu?.computeCapability, gpu?.sources.computeCapability],
      ['7.5', 'PCI device id 218410DE (the driver predates compute_cap)'],
    );
    assert.deepEqual(report.cpu.sources, {
      vendor: '/proc/cpuinfo',
      model: '/proc/cpuinfo',
      arch: 'process.arch',
      cores: '/proc/cpuinfo',
      threads: '/proc/cpuinfo',
      features: '/proc/cpuinfo',
    });
    assert.deepEqual(json.sources, { memoryBytes: 'os.totalmem()' });
    assert.deepEqual(
      json.devices.map((d: { id: string }) => d.id),
      ['GPU-304a277d-3545-63b8-3a36-dfde3c992989', 'cpu'],
    );
  },
);

test(
  'a driver library that crashes mid-call: the command still answers, through nvidia-smi, and says why',
  { timeout: 180_000 },
  async () => {
    const machine = await fakeMachine('dual-a5000-590', 'missing');
    const machineFile = join(await tempDir(), 'nvml.txt');
    await copyFile(join(FIXTURES, 'nvidia-smi', 'dual-a5000-590', 'nvml.txt'), machineFile);
    await compile('fake-broken-nvml.c', machineFile, machine.nvmlLibraries[0]!, ['-DFAKE_CRASH']);
    const text = await detect({ SYNOR_NVML_LIBRARY: machine.nvmlLibraries[0], PATH: `${machine.env['PATH']}:${process.env['PATH']}` });
    assert.match(text, /^Probe: fallback \(GPU detection failed: a graphics driver stopped the detection process/m);
    assert.match(text, /^ {2}GPU 1: NVIDIA RTX A5000 \(usable\)$/m);
    assert.match(text, /^ {4}memoryUsedBytes +16\.8 GB {3}\[nvidia-smi -q -x\]$/m);
  },
);
