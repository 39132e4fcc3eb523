// The WebGPU benchmark and verification API the renderer uses (Devices screen, capability profile).
export { KERNELS, SHADER_FILES, assemble, type Kernel, type ManifestKernel } from './kernels';
export * as reference from './reference';
export {
  CHECK_SIZES,
  DEFAULT_MEASURE,
  GpuError,
  LADDERS,
  NO_WEBGPU,
  compile,
  measureKernel,
  openGpu,
  problemFor,
  runGpuBenchmark,
  unsupportedReason,
  verifyKernel,
  type BenchmarkOptions,
  type GpuSession,
  type Measurement,
  type MeasureOptions,
  type Problem,
  type Progress,
  type Size,
} from './runner';
