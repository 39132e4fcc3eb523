/**
 * AMD GPUs for the JS fallback: amd-smi where it is installed (AMD deprecated rocm-smi for it), rocm-smi where it is
 * not or where amd-smi gives no answer. Each tool's output is read for its JSON whatever it prints around it.
 */
import type { VendorReport } from '../../common/hardware.js';
import { amdSmiFailure, parseAmdSmi } from './amd-smi.js';
import { vendorReport } from './probe.js';
import { parseRocmSmiJson, rocmSmiFailure, rocmSmiJson } from './rocm-smi.js';
import { extractJson } from './tool-json.js';
import { firstLine, output, run } from './tool-run.js';

const ROCM_ARGS = [
  '--showproductname',
  '--showuniqueid',
  '--showbus',
  '--showmeminfo',
  'vram',
  '--showuse',
  '--showtemp',
  '--showpower',
  '--showmaxpower',
  '--showdriverversion',
  '--json',
];

async function amdSmi(env: NodeJS.ProcessEnv, timeoutMs: number): Promise<VendorReport> {
  const [fixed, live] = await Promise.all([
    run('amd-smi', ['static', '--json'], env, timeoutMs),
    run('amd-smi', ['metric', '--json'], env, timeoutMs),
  ]);
  if (fixed.missing) return vendorReport('amd', { status: 'absent', code: 'not-installed' });
  if (fixed.timedOut) return vendorReport('amd', { status: 'failed', code: 'timeout' });
  const staticData = extractJson(fixed.stdout);
  if (!staticData) return vendorReport('amd', { status: 'failed', code: amdSmiFailure(output(fixed)), detail: firstLine(fixed) });
  // Without the live readings the GPUs are still known: their readings are then "not reported".
  const log = parseAmdSmi(staticData, extractJson(live.stdout));
  return vendorReport('amd', { status: 'found', driverVersion: log.driverVersion, gpus: log.gpus });
}

async function rocmSmi(env: NodeJS.ProcessEnv, timeoutMs: number): Promise<VendorReport> {
  const r = await run('rocm-smi', ROCM_ARGS, env, timeoutMs);
  if (r.missing) return vendorReport('amd', { status: 'absent', code: 'not-installed' });
  if (r.timedOut) return vendorReport('amd', { status: 'failed', code: 'timeout' });
  // A non-zero exit with JSON means some card declined some field (rsmi_ret_ok): the JSON is still the answer.
  const json = rocmSmiJson(r.stdout);
  if (!json) return vendorReport('amd', { status: 'failed', code: rocmSmiFailure(output(r)), detail: firstLine(r) });
  const log = parseRocmSmiJson(json);
  return vendorReport('amd', { status: 'found', driverVersion: log.driverVersion, gpus: log.gpus });
}

/** amd-smi's answer where it has one; rocm-smi's otherwise, unless rocm-smi is missing and amd-smi said why it failed. */
export async function amdFromTools(env: NodeJS.ProcessEnv, timeoutMs: number): Promise<VendorReport> {
  const preferred = await amdSmi(env, timeoutMs);
  if (preferred.status === 'found') return preferred;
  const fallback = await rocmSmi(env, timeoutMs);
  return fallback.error?.code === 'not-installed' && preferred.error?.code !== 'not-installed' ? preferred : fallback;
}
