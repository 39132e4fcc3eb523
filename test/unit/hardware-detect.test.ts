// `npm run detect`: the command a user pastes into a bug report, run as they would, on a fake machine.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { HardwareReportSchema } from '../../main/common/hardware.js';
import { fakeMachine, ROOT } from '../fixtures/hardware/machine.js';

const run = promisify(execFile);
const command = join(ROOT, 'main', 'core', 'hardware', 'detect-command.ts');
const detect = async (env: NodeJS.ProcessEnv, ...args: string[]) =>
  (await run(process.execPath, ['--import', 'tsx', command, ...args], { cwd: ROOT, env: { ...process.env, ...env }, timeout: 60_000 }))
    .stdout;

test('prints the probe that answered, every GPU field with the call it came from, and why a GPU is not used', async () => {
  const machine = await fakeMachine('a100-mig-535', 'rx6700xt-rocm430');
  const text = await detect({ SYNOR_NVML_LIBRARY: machine.nvmlLibraries[0], SYNOR_ROCM_SMI_LIBRARY: machine.rocmLibraries[0] });
  assert.match(text, /^Probe: native \(locally built addon native\/build\/Release\/synor_hardware\.node\)$/m);
  assert.match(text, /^NVIDIA: found, driver 535\.54\.03, CUDA 12\.2$/m);
  assert.match(text, /^ {2}GPU 0: NVIDIA A100-SXM4-80GB \(not used: MIG mode is on: the GPU is split into 4 instances/m);
  assert.match(text, /^ {4}memoryUsedBytes +50 MiB {3}\[nvmlDeviceGetMemoryInfo_v2\]$/m);
  assert.match(text, /^ {4}utilizationPercent +not reported by the driver {3}\[nvmlDeviceGetUtilizationRates: Not Supported\]$/m);
  assert.match(text, /^ {6}#3 GPU instance 6, compute instance 0, 19\.5 GB$/m);
  assert.match(text, /^ {4}name +not reported by the driver {3}\[rsmi_dev_name_get: "0x1002" is an id, not a name\]$/m);
  assert.doesNotMatch(text.slice(text.indexOf('AMD: found')), /computeCapability/, 'only what the vendor is asked for');
});

test('--fallback --json: the JS fallback on the vendor tools, as JSON a program can read', { timeout: 120_000 }, async () => {
  const machine = await fakeMachine('gtx1660ti-418', 'missing');
  const json = JSON.parse(await detect({ PATH: `${machine.env['PATH']}:${process.env['PATH']}` }, '--fallback', '--json'));
  assert.equal(json.provider.kind, 'fallback');
  const report = HardwareReportSchema.parse(json.report);
  const [gpu] = report.vendors.nvidia.gpus;
  assert.deepEqual(
    [gpu?.computeCapability, gpu?.sources.computeCapability],
    ['7.5', 'PCI device id 218410DE (the driver predates compute_cap)'],
  );
  assert.deepEqual(
    json.devices.map((d: { id: string }) => d.id),
    ['GPU-304a277d-3545-63b8-3a36-dfde3c992989', 'cpu'],
  );
});
