/**
 * The WebGPU runner: picks the adapter, compiles the manifest's kernels, checks each one's output against the
 * CPU reference, then times it (warm-up, then samples of batched runs) and reports GFLOPS, GB/s and TOPS.
 */
import {
  WebGpuReportSchema,
  type AdapterInfo,
  type GpuSummary,
  type KernelResult,
  type WebGpuReport,
} from '../../../../main/common/webgpu';
import { KERNELS, type Kernel } from './kernels';
import { CHECK_SIZES, measureKernel, verifyKernel, type MeasureOptions } from './measure';
import { browserGpu, describeError, GpuError, openGpu, type GpuSession } from './session';
import type { GPU } from './webgpu-api';

/** Why `kernel` cannot run on this adapter, or null when it can. */
export function unsupportedReason(adapter: AdapterInfo, kernel: Kernel): string | null {
  const invocations = kernel.workgroupSize[0] * kernel.workgroupSize[1];
  const limit = adapter.limits.maxComputeInvocationsPerWorkgroup;
  if (invocations > limit) return `its workgroup of ${invocations} invocations is more than this GPU's ${limit}`;
  const feature = kernel.requires.features.find((f) => !adapter.features.includes(f));
  if (feature) return `this GPU lacks the WebGPU feature ${feature}`;
  const language = kernel.requires.languageFeatures.find((f) => !adapter.languageFeatures.includes(f));
  return language ? `this browser's WGSL lacks ${language}` : null;
}

function summarize(results: KernelResult[]): GpuSummary {
  const best = (match: (kernel: Kernel) => boolean) => {
    const values = results.flatMap((r) => {
      const kernel = KERNELS.find((k) => k.id === r.kernel);
      return r.status === 'measured' && r.verification.ok && kernel && match(kernel) ? [r.value] : [];
    });
    return values.length ? Math.max(...values) : undefined;
  };
  return {
    fp32Gflops: best((k) => k.kind === 'matmul' && k.element === 'f32'),
    fp16Gflops: best((k) => k.kind === 'matmul' && k.element === 'f16'),
    int8Tops: best((k) => k.element === 'int8'),
    memoryBandwidthGBs: best((k) => k.unit === 'GB/s'),
  };
}

export interface Progress {
  kernel: string;
  phase: 'verify' | 'measure';
  /** 0-based position of `kernel` among the kernels to run, and how many there are. */
  index: number;
  total: number;
}

export interface BenchmarkOptions {
  onProgress?: (progress: Progress) => void;
  /** navigator.gpu unless given. */
  gpu?: GPU;
  measure?: MeasureOptions;
}

/**
 * Measures this machine's GPU through WebGPU. Never throws: no WebGPU, a shader that does not compile, a lost
 * device come back as `status: 'failed'` with a coded error, so the capability profile can fall back.
 * Figures count only when the kernel's output matched the CPU reference (summary).
 */
export async function runGpuBenchmark(options: BenchmarkOptions = {}): Promise<WebGpuReport> {
  const measuredAt = Date.now();
  const start = performance.now();
  let session: GpuSession | undefined;
  try {
    session = await openGpu(options.gpu ?? browserGpu());
    const kernels: KernelResult[] = [];
    for (const [index, kernel] of KERNELS.entries()) {
      const reason = unsupportedReason(session.adapter, kernel);
      if (reason) {
        kernels.push({ status: 'unsupported', kernel: kernel.id, reason });
        continue;
      }
      const progress = (phase: Progress['phase']) => options.onProgress?.({ kernel: kernel.id, phase, index, total: KERNELS.length });
      progress('verify');
      const verification = await verifyKernel(session, kernel, CHECK_SIZES[kernel.kind]);
      progress('measure');
      const measurement = await measureKernel(session, kernel, options.measure);
      kernels.push({ status: 'measured', kernel: kernel.id, unit: kernel.unit, verification, ...measurement });
    }
    return WebGpuReportSchema.parse({
      status: 'measured',
      measuredAt,
      durationMs: performance.now() - start,
      adapter: session.adapter,
      kernels,
      summary: summarize(kernels),
    });
  } catch (e) {
    const error = e instanceof GpuError ? e : new GpuError('gpu-error', describeError(e));
    return {
      status: 'failed',
      measuredAt,
      ...(session ? { adapter: session.adapter } : {}),
      error: { code: error.code, message: error.message },
    };
  } finally {
    session?.device.destroy();
  }
}
