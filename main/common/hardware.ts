import { z } from 'zod';

/**
 * What this computer can offer: the raw inventory a hardware probe reports (native addon or JS fallback, same
 * shape and same answers), the seed's DeviceType and ComputeCapabilities, and the snapshot the agent publishes.
 */

const count = z.number().int().min(0);
const amount = z.number().min(0);
const maybe = <T extends z.ZodType>(schema: T) => schema.nullable();

/** Why a vendor answered without GPUs or a GPU answered with an error; messages come from one table per code. */
export const ProbeErrorCodeSchema = z.enum([
  'not-installed', // no driver library / CLI: a normal answer on machines without that vendor's GPU
  'driver-not-loaded',
  'driver-too-old',
  'driver-mismatch',
  'no-permission',
  'gpu-lost',
  'reset-required',
  'gpu-not-found',
  'timeout',
  'driver-error',
]);
export type ProbeErrorCode = z.infer<typeof ProbeErrorCodeSchema>;
export const ProbeErrorSchema = z.object({ code: ProbeErrorCodeSchema, message: z.string() }).strict();
export type ProbeError = z.infer<typeof ProbeErrorSchema>;

export const GpuVendorSchema = z.enum(['nvidia', 'amd', 'intel', 'apple']);
export type GpuVendor = z.infer<typeof GpuVendorSchema>;

/** The readings a driver may decline one by one (NVML_ERROR_NOT_SUPPORTED, "N/A") while the GPU still works. */
export const GpuFieldSchema = z.enum([
  'name',
  'uuid',
  'pciBusId',
  'memoryTotalBytes',
  'memoryUsedBytes',
  'utilizationPercent',
  'temperatureC',
  'powerDrawW',
  'powerLimitW',
  'computeCapability',
]);
export type GpuField = z.infer<typeof GpuFieldSchema>;

/** One MIG instance of an A100/H100-class GPU, as the driver lists it. */
export const MigInstanceSchema = z
  .object({
    index: count,
    gpuInstanceId: count,
    computeInstanceId: count,
    memoryTotalBytes: maybe(amount),
    memoryUsedBytes: maybe(amount),
  })
  .strict();
export type MigInstance = z.infer<typeof MigInstanceSchema>;

export const GpuSchema = z
  .object({
    vendor: GpuVendorSchema,
    /** The driver's enumeration order (NVML/ROCm index = PCI bus order). */
    index: count,
    name: maybe(z.string()),
    uuid: maybe(z.string()),
    /** "0000:01:00.0", lowercase, 4-digit domain, whatever form the driver used. */
    pciBusId: maybe(z.string()),
    memoryTotalBytes: maybe(amount),
    memoryUsedBytes: maybe(amount),
    utilizationPercent: maybe(amount),
    temperatureC: maybe(z.number()),
    powerDrawW: maybe(amount),
    powerLimitW: maybe(amount),
    /** CUDA compute capability, e.g. "8.9" (NVIDIA only). */
    computeCapability: maybe(z.string()),
    unifiedMemory: z.boolean(),
    /** Metal's recommendedMaxWorkingSetSize: what one process may use of unified memory. */
    workingSetBytes: maybe(amount),
    gpuCores: maybe(count),
    /** Metal GPU family ("apple9"). */
    family: maybe(z.string()),
    /** null: not a MIG-capable GPU (or a driver before MIG); otherwise its MIG mode and instances. */
    mig: maybe(z.object({ enabled: z.boolean(), instances: z.array(MigInstanceSchema) }).strict()),
    /** Readings the driver declined for this GPU: shown as "not reported by the driver", the GPU stays usable. */
    notReported: z.array(GpuFieldSchema),
    /** Where each field came from ("nvmlDeviceGetMemoryInfo_v2", "nvidia-smi -q -x"), for bug reports. */
    sources: z.partialRecord(GpuFieldSchema, z.string()),
    /** Set when the GPU answered its enumeration but not its queries; then only index and bus id are known. */
    error: maybe(ProbeErrorSchema),
  })
  .strict();
export type Gpu = z.infer<typeof GpuSchema>;

export const VendorReportSchema = z
  .object({
    status: z.enum(['found', 'absent', 'failed']),
    /** Empty when found; otherwise why not, as one sentence a user can act on. */
    error: maybe(ProbeErrorSchema),
    driverVersion: maybe(z.string()),
    /** CUDA version the driver supports (NVIDIA). */
    runtimeVersion: maybe(z.string()),
    gpus: z.array(GpuSchema),
  })
  .strict();
export type VendorReport = z.infer<typeof VendorReportSchema>;

export const CpuVendorSchema = z.enum(['intel', 'amd', 'apple', 'arm', 'other']);
export const AvxSupportSchema = z.enum(['none', 'avx', 'avx2', 'avx512']);
/** Linux /proc/cpuinfo names, which is also how the native probe spells them. */
export const CpuFeatureSchema = z.enum(['sse4_2', 'avx', 'avx2', 'fma', 'avx512f', 'avx512_vnni', 'avx_vnni', 'neon', 'dotprod', 'sve']);
export type CpuFeature = z.infer<typeof CpuFeatureSchema>;

export const CpuFieldSchema = z.enum(['vendor', 'model', 'arch', 'cores', 'threads', 'features']);
export type CpuField = z.infer<typeof CpuFieldSchema>;

export const CpuSchema = z
  .object({
    vendor: CpuVendorSchema,
    model: z.string(),
    arch: z.string(),
    cores: count,
    threads: count,
    features: z.array(CpuFeatureSchema),
    /** Where each field came from ("/proc/cpuinfo", "cpuid brand string"), as Gpu.sources; both probes fill it. */
    sources: z.partialRecord(CpuFieldSchema, z.string()).optional(),
  })
  .strict();
export type Cpu = z.infer<typeof CpuSchema>;

/** Everything one detection pass returns. */
export const HardwareReportSchema = z
  .object({
    cpu: CpuSchema,
    memoryBytes: amount,
    vendors: z
      .object({ nvidia: VendorReportSchema, amd: VendorReportSchema, intel: VendorReportSchema, apple: VendorReportSchema })
      .strict(),
  })
  .strict();
export type HardwareReport = z.infer<typeof HardwareReportSchema>;

/** Which implementation answered, and why that one (shown on the Devices screen). */
export const ProviderInfoSchema = z
  .object({
    kind: z.enum(['prebuilt', 'native', 'fallback']),
    /** e.g. "prebuilt addon prebuilds/linux-x64", "native addon not built: …; using systeminformation and vendor tools". */
    reason: z.string(),
  })
  .strict();
export type ProviderInfo = z.infer<typeof ProviderInfoSchema>;

// ---- The seed's device model -------------------------------------------------------------------------------

/** The seed's DeviceType, for the kinds a desktop can be (Mobile, Browser, Tpu, CustomAccelerator are not). */
export const DeviceTypeSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('DataCenterGpu'), model: z.string(), vramGb: count, tensorCores: maybe(count) }).strict(),
  z.object({ kind: z.literal('ConsumerGpu'), model: z.string(), vramGb: count }).strict(),
  z
    .object({
      kind: z.literal('AppleSilicon'),
      chip: z.string(),
      gpuCores: maybe(count),
      neuralEngineCores: maybe(count),
      unifiedMemoryGb: count,
    })
    .strict(),
  z.object({ kind: z.literal('Cpu'), vendor: CpuVendorSchema, cores: count, threads: count, avxSupport: AvxSupportSchema }).strict(),
]);
export type DeviceType = z.infer<typeof DeviceTypeSchema>;

export const FrameworkSchema = z.enum(['onnxruntime-cpu', 'cuda', 'rocm', 'metal', 'coreml', 'webgpu']);
export const ModelFormatSchema = z.enum(['onnx-fp32', 'onnx-fp16', 'onnx-int8']);

/** The seed's ComputeCapabilities, plus where the numbers come from. */
export const ComputeCapabilitiesSchema = z
  .object({
    fp32Gflops: maybe(amount),
    fp16Gflops: maybe(amount),
    int8Tops: maybe(amount),
    memoryBandwidthGbps: maybe(amount),
    memoryGb: amount,
    frameworks: z.array(FrameworkSchema),
    modelFormats: z.array(ModelFormatSchema),
    /**
     * measured: on this machine (CPU: onnxruntime benchmark; GPU: the WebGPU kernels, other figures then from the spec
     * table, as the note says); spec: the maker's data sheet ("spec, not measured"); unknown: neither.
     */
    basis: z.enum(['measured', 'spec', 'unknown']),
    note: z.string(),
  })
  .strict();
export type ComputeCapabilities = z.infer<typeof ComputeCapabilitiesSchema>;

export const UnusableReasonSchema = z
  .object({
    code: z.enum(['device-error', 'too-little-memory', 'old-architecture', 'mig-enabled']),
    message: z.string(),
  })
  .strict();
export type UnusableReason = z.infer<typeof UnusableReasonSchema>;

export const DeviceSchema = z
  .object({
    /** Stable across restarts: GPU UUID where the driver gives one (same key as settings.gpus), else vendor + bus id. */
    id: z.string(),
    name: z.string(),
    type: DeviceTypeSchema,
    capabilities: ComputeCapabilitiesSchema,
    /** Empty = usable. */
    unusable: z.array(UnusableReasonSchema),
    /** Readings the driver declined ("not reported by the driver"); the device stays usable. */
    notReported: z.array(GpuFieldSchema),
  })
  .strict();
export type Device = z.infer<typeof DeviceSchema>;

/** Live readings, sampled only while someone subscribes. */
export const TelemetrySchema = z
  .object({
    at: z.number(),
    gpus: z.array(
      z
        .object({
          id: z.string(),
          utilizationPercent: maybe(amount),
          memoryUsedBytes: maybe(amount),
          temperatureC: maybe(z.number()),
          powerDrawW: maybe(amount),
        })
        .strict(),
    ),
  })
  .strict();
export type Telemetry = z.infer<typeof TelemetrySchema>;

export const BenchmarkProgressSchema = z
  .object({ step: z.enum(['fp32', 'int8', 'memory', 'done']), fraction: z.number().min(0).max(1) })
  .strict();
export type BenchmarkProgress = z.infer<typeof BenchmarkProgressSchema>;

export const ProfileStatusSchema = z
  .object({
    /** none: never measured on this hardware; stale: measured, then the hardware or driver changed. */
    state: z.enum(['none', 'stale', 'running', 'ready', 'failed']),
    measuredAt: maybe(z.number()),
    durationMs: maybe(amount),
    progress: maybe(BenchmarkProgressSchema),
    error: maybe(z.string()),
  })
  .strict();
export type ProfileStatus = z.infer<typeof ProfileStatusSchema>;

/** The Devices data the agent puts into its state. */
export const HardwareSnapshotSchema = z
  .object({
    provider: ProviderInfoSchema,
    detectedAt: z.number(),
    /** Hash of what identifies the hardware and drivers; the capability profile is cached under it. */
    fingerprint: z.string(),
    report: HardwareReportSchema,
    devices: z.array(DeviceSchema),
    profile: ProfileStatusSchema,
  })
  .strict();
export type HardwareSnapshot = z.infer<typeof HardwareSnapshotSchema>;
