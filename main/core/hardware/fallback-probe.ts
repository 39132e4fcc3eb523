import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { totalmem } from 'node:os';
import si from 'systeminformation';
import type { Cpu, Gpu, ProviderInfo, VendorReport } from '../../common/hardware.js';
import {
  nvidiaSmiExitCode,
  parseComputeCaps,
  parseCpuinfo,
  parseNvidiaSmiFailures,
  parseNvidiaSmiXml,
  parseRocmSmiJson,
  parseSystemProfilerDisplays,
  rocmSmiFailure,
} from './parsers.js';
import { blankGpu, cpuRecord, probeError, vendorReport, type HardwareProbe } from './probe.js';

export interface FallbackProbeOptions {
  /** Environment for the vendor tools (PATH decides which nvidia-smi / rocm-smi runs). */
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  timeoutMs?: number;
}

interface Run {
  /** null: the program is not installed. */
  exitCode: number | null;
  missing: boolean;
  timedOut: boolean;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Run> {
  return new Promise((resolve) => {
    execFile(command, args, { env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, windowsHide: true }, (error, stdout, stderr) => {
      const code = error && 'code' in error ? error.code : 0;
      resolve({
        exitCode: typeof code === 'number' ? code : null,
        missing: code === 'ENOENT',
        timedOut: Boolean(error && 'killed' in error && error.killed),
        stdout: String(stdout),
        stderr: String(stderr),
      });
    });
  });
}

const firstLine = (r: Run) => `${r.stdout}\n${r.stderr}`.split('\n').map((l) => l.trim()).find(Boolean) ?? '';

async function nvidia(env: NodeJS.ProcessEnv, timeoutMs: number): Promise<VendorReport> {
  const q = await run('nvidia-smi', ['-q', '-x'], env, timeoutMs);
  if (q.missing) return vendorReport('nvidia', { status: 'absent', code: 'not-installed' });
  if (q.timedOut) return vendorReport('nvidia', { status: 'failed', code: 'timeout' });
  if (!q.stdout.includes('<nvidia_smi_log')) {
    const code = nvidiaSmiExitCode(q.exitCode);
    return vendorReport('nvidia', { status: code === 'not-installed' ? 'absent' : 'failed', code, detail: firstLine(q) });
  }
  const log = parseNvidiaSmiXml(q.stdout);
  const caps = parseComputeCaps((await run('nvidia-smi', ['--query-gpu=pci.bus_id,compute_cap', '--format=csv,noheader'], env, timeoutMs)).stdout);
  const lost = parseNvidiaSmiFailures(q.stderr).map((f) => ({
    ...blankGpu('nvidia', 0),
    pciBusId: f.pciBusId,
    error: probeError('nvidia', f.code, f.detail),
  }));
  const healthy = log.gpus.map((g) => ({ ...g, computeCapability: (g.pciBusId && caps.get(g.pciBusId)) ?? null }));
  // NVML numbers GPUs in PCI bus order; nvidia-smi lists working ones only, so the order is rebuilt from bus ids.
  const gpus: Gpu[] = [...healthy, ...lost]
    .sort((a, b) => (a.pciBusId ?? '').localeCompare(b.pciBusId ?? ''))
    .map((g, index) => ({ ...g, index }));
  return vendorReport('nvidia', { status: 'found', driverVersion: log.driverVersion, runtimeVersion: log.cudaVersion, gpus });
}

const ROCM_ARGS = ['--showproductname', '--showuniqueid', '--showbus', '--showmeminfo', 'vram', '--showuse', '--showtemp', '--showpower', '--showmaxpower', '--showdriverversion', '--json'];

async function amd(env: NodeJS.ProcessEnv, timeoutMs: number): Promise<VendorReport> {
  const r = await run('rocm-smi', ROCM_ARGS, env, timeoutMs);
  if (r.missing) return vendorReport('amd', { status: 'absent', code: 'not-installed' });
  if (r.timedOut) return vendorReport('amd', { status: 'failed', code: 'timeout' });
  if (r.exitCode !== 0 || !r.stdout.trim().startsWith('{')) {
    return vendorReport('amd', { status: 'failed', code: rocmSmiFailure(`${r.stdout}\n${r.stderr}`), detail: firstLine(r) });
  }
  const log = parseRocmSmiJson(r.stdout);
  return vendorReport('amd', { status: 'found', driverVersion: log.driverVersion, gpus: log.gpus });
}

async function apple(env: NodeJS.ProcessEnv, timeoutMs: number, platform: NodeJS.Platform): Promise<VendorReport> {
  if (platform !== 'darwin') return vendorReport('apple', { status: 'absent', code: 'not-installed' });
  const r = await run('system_profiler', ['SPDisplaysDataType', '-json'], env, timeoutMs);
  if (r.timedOut) return vendorReport('apple', { status: 'failed', code: 'timeout' });
  const gpus = r.exitCode === 0 ? parseSystemProfilerDisplays(r.stdout, totalmem()) : [];
  return gpus.length ? vendorReport('apple', { status: 'found', gpus }) : vendorReport('apple', { status: 'absent', code: 'not-installed' });
}

/** si's flag spellings ("sse4.2", "avx1.0" on macOS) → /proc/cpuinfo's. */
const siFlag = (flag: string) => flag.toLowerCase().replace('.', '_').replace(/^avx1_0$/, 'avx');

async function cpu(platform: NodeJS.Platform): Promise<Cpu> {
  if (platform === 'linux') return parseCpuinfo(await readFile('/proc/cpuinfo', 'utf8'), process.arch);
  const [info, flags] = await Promise.all([si.cpu(), si.cpuFlags()]);
  const features = flags.split(/\s+/).map(siFlag);
  if (process.arch === 'arm64') features.push('neon'); // mandatory on arm64, rarely listed
  return cpuRecord({
    vendor: info.manufacturer,
    model: `${info.manufacturer} ${info.brand}`,
    arch: process.arch,
    cores: info.physicalCores,
    threads: info.cores,
    features,
  });
}

/** The HardwareProbe without the addon: vendor command-line tools, /proc/cpuinfo and systeminformation. */
export function createFallbackProbe(provider: ProviderInfo, options: FallbackProbeOptions = {}): HardwareProbe {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const timeoutMs = options.timeoutMs ?? 15_000;
  return {
    provider,
    async detect() {
      const [nvidiaReport, amdReport, appleReport, cpuReport] = await Promise.all([
        nvidia(env, timeoutMs),
        amd(env, timeoutMs),
        apple(env, timeoutMs, platform),
        cpu(platform),
      ]);
      return { cpu: cpuReport, memoryBytes: totalmem(), vendors: { nvidia: nvidiaReport, amd: amdReport, apple: appleReport } };
    },
  };
}
