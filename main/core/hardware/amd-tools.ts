/**
 * AMD GPUs for the JS fallback: amd-smi where it is installed (AMD deprecated rocm-smi for it), rocm-smi where it is
 * not or where amd-smi gives no answer. Each tool's output is read for its JSON whatever it prints around it. GPUs
 * are named by their PCI device id as the native probe names them (gpu-name.ts).
 */
import type { Gpu, VendorReport } from '../../common/hardware.js';
import { amdSmiFailure, parseAmdSmi } from './amd-smi.js';
import { namedByPciId, sysfsPciDevice } from './gpu-name.js';
import type { PciNames } from './pci-ids.js';
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
  '--showid',
  '--json',
];

/** How the fallback names AMD GPUs: the PCI ID database, and sysfs for a device id the tool did not print. */
export interface AmdNaming {
  names: PciNames;
  sysRoot: string;
}

/** The tool's device id for each GPU, else the kernel's for its bus id, then the GPUs named by it. */
async function named(gpus: Gpu[], deviceIds: (number | null)[], tool: string, naming: AmdNaming): Promise<Gpu[]> {
  const devices = await Promise.all(
    gpus.map((gpu, i) => {
      const id = deviceIds[i] ?? null;
      return id === null ? sysfsPciDevice(naming.sysRoot, 'amd', gpu.pciBusId) : { id, source: tool };
    }),
  );
  return namedByPciId(gpus, devices, naming.names);
}

async function amdSmi(env: NodeJS.ProcessEnv, timeoutMs: number, naming: AmdNaming): Promise<VendorReport> {
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
  const gpus = await named(log.gpus, log.deviceIds, 'amd-smi static --json', naming);
  return vendorReport('amd', { status: 'found', driverVersion: log.driverVersion, gpus });
}

async function rocmSmi(env: NodeJS.ProcessEnv, timeoutMs: number, naming: AmdNaming): Promise<VendorReport> {
  const r = await run('rocm-smi', ROCM_ARGS, env, timeoutMs);
  if (r.missing) return vendorReport('amd', { status: 'absent', code: 'not-installed' });
  if (r.timedOut) return vendorReport('amd', { status: 'failed', code: 'timeout' });
  // A non-zero exit with JSON means some card declined some field (rsmi_ret_ok): the JSON is still the answer.
  const json = rocmSmiJson(r.stdout);
  if (!json) return vendorReport('amd', { status: 'failed', code: rocmSmiFailure(output(r)), detail: firstLine(r) });
  const log = parseRocmSmiJson(json);
  const gpus = await named(log.gpus, log.deviceIds, 'rocm-smi --json', naming);
  return vendorReport('amd', { status: 'found', driverVersion: log.driverVersion, gpus });
}

/** amd-smi's answer where it has one; rocm-smi's otherwise, unless rocm-smi is missing and amd-smi said why it failed. */
export async function amdFromTools(env: NodeJS.ProcessEnv, timeoutMs: number, naming: AmdNaming): Promise<VendorReport> {
  const preferred = await amdSmi(env, timeoutMs, naming);
  if (preferred.status === 'found') return preferred;
  const fallback = await rocmSmi(env, timeoutMs, naming);
  return fallback.error?.code === 'not-installed' && preferred.error?.code !== 'not-installed' ? preferred : fallback;
}
