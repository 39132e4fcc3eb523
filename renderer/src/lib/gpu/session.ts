/** A WebGPU session: the adapter and device, waits that notice device loss, error scopes, and compiled kernels. */
import { NO_WEBGPU, type AdapterInfo, type GpuErrorCode } from '../../../../main/common/webgpu';
import type { Kernel } from './kernels';
import type { GPU, GPUAdapter, GPUComputePipeline, GPUDevice } from './webgpu-api';

export class GpuError extends Error {
  constructor(
    readonly code: GpuErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'GpuError';
  }
}

export const describeError = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export interface GpuSession {
  adapter: AdapterInfo;
  device: GPUDevice;
  /** Set once the device is lost; every wait on the GPU checks it. */
  lostError: GpuError | null;
  /** Rejects with the device-lost GpuError. */
  lost: Promise<never>;
  pipelines: Map<Kernel, Promise<GPUComputePipeline>>;
}

// eslint-disable-next-line @typescript-eslint/consistent-type-assertions -- a browser without WebGPU (and Node, in unit tests) has no navigator.gpu, which the GPU types say is always there
export const browserGpu = (): GPU | undefined => (globalThis.navigator as { gpu?: GPU } | undefined)?.gpu;

function describeAdapter(adapter: GPUAdapter, gpu: GPU): AdapterInfo {
  const { vendor, architecture, device, description } = adapter.info;
  const fallback = adapter.info.isFallbackAdapter ?? adapter.isFallbackAdapter ?? false;
  const { maxBufferSize, maxStorageBufferBindingSize, maxComputeWorkgroupStorageSize, maxComputeInvocationsPerWorkgroup } = adapter.limits;
  return {
    name: description || [vendor, architecture].filter(Boolean).join(' ') || 'unknown GPU',
    vendor,
    architecture,
    device,
    description,
    // Software rasterisers run on the CPU; some do not call themselves a fallback adapter.
    software: fallback || /swiftshader|llvmpipe|lavapipe|microsoft basic render/i.test(`${vendor} ${architecture} ${description}`),
    features: [...adapter.features].sort(),
    languageFeatures: [...gpu.wgslLanguageFeatures].sort(),
    limits: { maxBufferSize, maxStorageBufferBindingSize, maxComputeWorkgroupStorageSize, maxComputeInvocationsPerWorkgroup },
  };
}

/** The high-performance adapter and a device with shader-f16 (where offered) and the adapter's largest buffers. */
export async function openGpu(gpu: GPU | undefined = browserGpu()): Promise<GpuSession> {
  if (!gpu) throw new GpuError('webgpu-unavailable', `${NO_WEBGPU}: this browser has no WebGPU (navigator.gpu is missing).`);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' }).catch((e: unknown) => {
    throw new GpuError('webgpu-unavailable', `${NO_WEBGPU}: asking for a GPU adapter failed (${describeError(e)}).`);
  });
  if (!adapter) {
    throw new GpuError(
      'webgpu-unavailable',
      `${NO_WEBGPU}: no GPU adapter was offered (WebGPU is switched off, or the GPU or its driver is blocklisted).`,
    );
  }
  const { maxBufferSize, maxStorageBufferBindingSize } = adapter.limits;
  const device = await adapter
    .requestDevice({
      requiredFeatures: adapter.features.has('shader-f16') ? ['shader-f16'] : [],
      requiredLimits: { maxBufferSize, maxStorageBufferBindingSize },
    })
    .catch((e: unknown) => {
      throw new GpuError('webgpu-unavailable', `${NO_WEBGPU}: the GPU adapter refused to open a device (${describeError(e)}).`);
    });
  const session: GpuSession = {
    adapter: describeAdapter(adapter, gpu),
    device,
    lostError: null,
    lost: device.lost.then((info) => {
      session.lostError = new GpuError(
        'device-lost',
        `The GPU device was lost (${info.reason})${info.message ? `: ${info.message}` : ''}. ` +
          'A driver reset, a removed GPU or another program can cause this; run the benchmark again.',
      );
      throw session.lostError;
    }),
    pipelines: new Map(),
  };
  session.lost.catch(() => undefined); // observed through guard(); not an unhandled rejection
  return session;
}

/** Waits on the GPU, but not past device loss: that rejects with the device-lost error, whichever settles first. */
export async function guard<T>(s: GpuSession, work: Promise<T>): Promise<T> {
  let value: T;
  try {
    value = await Promise.race([work, s.lost]);
  } catch (e) {
    // A destroyed device also fails the pending operation itself (AbortError); name the real cause.
    await Promise.race([s.lost, Promise.resolve()]).catch(() => undefined);
    if (s.lostError) throw s.lostError;
    throw e instanceof GpuError ? e : new GpuError('gpu-error', describeError(e));
  }
  // Some operations still succeed on a lost device (popErrorScope, onSubmittedWorkDone): nothing after loss counts.
  if (s.lostError) throw s.lostError;
  return value;
}

/** Runs `fn` inside validation and out-of-memory error scopes and turns what they caught into a GpuError. */
export async function scoped<T>(s: GpuSession, what: string, fn: () => T): Promise<T> {
  s.device.pushErrorScope('out-of-memory');
  s.device.pushErrorScope('validation');
  const pop = async () => {
    const validation = await guard(s, s.device.popErrorScope());
    const memory = await guard(s, s.device.popErrorScope());
    return validation ?? memory;
  };
  let value: T;
  try {
    value = fn();
  } catch (e) {
    await pop(); // keep the scopes balanced for whoever uses the device next
    throw e;
  }
  const error = await pop();
  if (error) throw new GpuError('gpu-error', `${what}: ${error.message}`);
  return value;
}

function locate(parts: Kernel['parts'], line: number): string {
  for (const part of parts) {
    const lines = part.code.split('\n').length;
    if (line <= lines) return `${part.name}:${line}`;
    line -= lines;
  }
  return `line ${line}`;
}

/** Compiles once per session; a WGSL error names the file and line it is in and quotes the compiler. */
export function compile(s: GpuSession, kernel: Kernel): Promise<GPUComputePipeline> {
  let pipeline = s.pipelines.get(kernel);
  if (!pipeline) {
    pipeline = (async () => {
      const module = s.device.createShaderModule({ label: kernel.id, code: kernel.parts.map((p) => p.code).join('\n') });
      const { messages } = await guard(s, module.getCompilationInfo());
      const errors = messages.filter((m) => m.type === 'error');
      if (errors.length) {
        const lines = errors.map((m) => `${locate(kernel.parts, m.lineNum)}:${m.linePos}: ${m.message}`);
        throw new GpuError('shader-compile', `Shader ${kernel.id} did not compile:\n${lines.join('\n')}`);
      }
      try {
        return await guard(s, s.device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: kernel.entryPoint } }));
      } catch (e) {
        throw e instanceof GpuError && e.code === 'device-lost'
          ? e
          : new GpuError('shader-compile', `Shader ${kernel.id} could not be made a pipeline: ${describeError(e)}`);
      }
    })();
    s.pipelines.set(kernel, pipeline);
  }
  return pipeline;
}
