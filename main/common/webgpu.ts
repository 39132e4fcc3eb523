import { z } from 'zod';

/**
 * The WebGPU benchmark report the renderer (renderer/src/lib/gpu) produces and the agent accepts for the
 * device's capability profile ("measured via WebGPU"). It crosses IPC/HTTP, so the agent parses it with this.
 */

const Name = z.string().max(256);
const Figure = z.number().nonnegative().finite();
const Ms = z.number().nonnegative().finite();
/** Problem size by dimension name (M, N, K for MatMul; n for streams and reductions). */
const SizeSchema = z
  .record(z.string().regex(/^[A-Za-z]{1,8}$/), z.number().int().positive())
  .refine((size) => Object.keys(size).length <= 4, 'at most 4 dimensions');

/** How every "no WebGPU here" message starts, in the page and in what it reports to the agent. */
export const NO_WEBGPU = 'WebGPU not available on this machine';

export const GpuErrorCodeSchema = z.enum([
  'webgpu-unavailable', // no navigator.gpu, or no adapter (blocklisted GPU, flag off, headless without GPU)
  'shader-compile', // the WGSL did not compile: message carries file:line and the compiler's words
  'device-lost', // driver reset, GPU removed, or the device was destroyed mid-run
  'gpu-error', // validation or out-of-memory error raised by WebGPU
]);
export type GpuErrorCode = z.infer<typeof GpuErrorCodeSchema>;

export const GpuErrorSchema = z.object({ code: GpuErrorCodeSchema, message: z.string().max(8000) }).strict();
export type GpuErrorData = z.infer<typeof GpuErrorSchema>;

export const AdapterInfoSchema = z
  .object({
    /** For people: description, else vendor + architecture. */
    name: Name,
    vendor: Name,
    architecture: Name,
    device: Name,
    description: Name,
    /** A software rasteriser such as SwiftShader (runs on the CPU): its figures say nothing about a GPU. */
    software: z.boolean(),
    features: z.array(z.string().max(128)).max(256),
    languageFeatures: z.array(z.string().max(128)).max(256),
    limits: z
      .object({
        maxBufferSize: z.number().int().nonnegative(),
        maxStorageBufferBindingSize: z.number().int().nonnegative(),
        maxComputeWorkgroupStorageSize: z.number().int().nonnegative(),
        maxComputeInvocationsPerWorkgroup: z.number().int().nonnegative(),
      })
      .strict(),
  })
  .strict();
export type AdapterInfo = z.infer<typeof AdapterInfoSchema>;

export const GpuUnitSchema = z.enum(['GFLOPS', 'GB/s', 'TOPS']);
export type GpuUnit = z.infer<typeof GpuUnitSchema>;

/** Outputs compared elementwise with a CPU reference computed in float64. */
export const VerificationSchema = z
  .object({
    ok: z.boolean(),
    size: SizeSchema,
    elements: z.number().int().nonnegative(),
    mismatches: z.number().int().nonnegative(),
    maxAbsError: z.number().nonnegative(),
    /** The rule applied, in words (exact, or the rounding-error bound). */
    tolerance: z.string().max(256),
  })
  .strict();
export type Verification = z.infer<typeof VerificationSchema>;

const KernelId = z.string().regex(/^[a-z0-9-]{1,40}$/);

export const KernelResultSchema = z.discriminatedUnion('status', [
  z
    .object({
      status: z.literal('measured'),
      kernel: KernelId,
      unit: GpuUnitSchema,
      /** Median over the samples, in `unit`. */
      value: Figure,
      best: Figure,
      size: SizeSchema,
      /** Operations (GFLOPS, TOPS) or bytes (GB/s) one run does. */
      workPerRun: Figure,
      medianMs: Ms,
      samples: z.number().int().positive(),
      runsPerSample: z.number().int().positive(),
      verification: VerificationSchema,
    })
    .strict(),
  z.object({ status: z.literal('unsupported'), kernel: KernelId, reason: z.string().max(256) }).strict(),
]);
export type KernelResult = z.infer<typeof KernelResultSchema>;

/** The seed's ComputeCapabilities fields WebGPU can measure; only from kernels whose outputs verified. */
export const GpuSummarySchema = z
  .object({
    fp32Gflops: Figure.optional(),
    fp16Gflops: Figure.optional(),
    int8Tops: Figure.optional(),
    memoryBandwidthGBs: Figure.optional(),
  })
  .strict();
export type GpuSummary = z.infer<typeof GpuSummarySchema>;

export const WebGpuReportSchema = z.discriminatedUnion('status', [
  z
    .object({
      status: z.literal('measured'),
      /** Epoch milliseconds. */
      measuredAt: z.number().int().positive(),
      durationMs: Ms,
      adapter: AdapterInfoSchema,
      kernels: z.array(KernelResultSchema).max(32),
      summary: GpuSummarySchema,
    })
    .strict(),
  z
    .object({
      status: z.literal('failed'),
      measuredAt: z.number().int().positive(),
      adapter: AdapterInfoSchema.optional(),
      error: GpuErrorSchema,
    })
    .strict(),
]);
export type WebGpuReport = z.infer<typeof WebGpuReportSchema>;

/** What a report means for the GPU's capability profile: figures with their provenance, or why there are none. */
export type WebGpuProfile =
  { basis: 'measured'; adapter: string; figures: GpuSummary; note: string } | { basis: 'unavailable'; note: string };

export function webGpuProfile(report: WebGpuReport): WebGpuProfile {
  if (report.status === 'failed') return { basis: 'unavailable', note: report.error.message };
  const { adapter, summary } = report;
  if (adapter.software) {
    return {
      basis: 'unavailable',
      note: `Only a software WebGPU adapter (${adapter.name}) is available; it runs on the CPU, so it says nothing about a GPU.`,
    };
  }
  const wrong = report.kernels.flatMap((k) => (k.status === 'measured' && !k.verification.ok ? [k.kernel] : []));
  const caveat = wrong.length ? `; ${wrong.join(', ')} gave wrong results and do not count` : '';
  if (Object.values(summary).every((v) => v === undefined)) {
    return { basis: 'unavailable', note: `WebGPU on ${adapter.name} produced no figure that could be trusted${caveat}.` };
  }
  return { basis: 'measured', adapter: adapter.name, figures: summary, note: `Measured via WebGPU on ${adapter.name}${caveat}.` };
}
