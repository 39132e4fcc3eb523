// The WebGPU benchmark and verification API the renderer uses (Devices screen, capability profile).
export { KERNELS, SHADER_FILES, assemble, type Kernel, type ManifestKernel } from './kernels';
export * as reference from './reference';
export { CHECK_SIZES, DEFAULT_MEASURE, LADDERS, measureKernel, verifyKernel, type Measurement, type MeasureOptions } from './measure';
export { problemFor, type Problem, type Size } from './problems';
export { runGpuBenchmark, unsupportedReason, type BenchmarkOptions, type Progress } from './runner';
export { NO_WEBGPU } from '../../../../main/common/webgpu';
export { compile, GpuError, openGpu, type GpuSession } from './session';
