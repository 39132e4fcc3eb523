/**
 * The WebGPU runner: picks the adapter, compiles the manifest's kernels, checks each one's output against the
 * CPU reference, then times it (warm-up, then samples of batched runs) and reports GFLOPS, GB/s and TOPS.
 */
import {
  WebGpuReportSchema,
  type AdapterInfo,
  type GpuErrorCode,
  type GpuSummary,
  type KernelResult,
  type Verification,
  type WebGpuReport,
} from '../../../../main/common/webgpu';
import { KERNELS, type Kernel } from './kernels';
import * as ref from './reference';
import {
  BufferUsage,
  MapMode,
  type GPU,
  type GPUAdapter,
  type GPUBuffer,
  type GPUComputePassEncoder,
  type GPUComputePipeline,
  type GPUDevice,
} from './webgpu-api';

export const NO_WEBGPU = 'WebGPU not available on this machine';

export class GpuError extends Error {
  constructor(
    readonly code: GpuErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'GpuError';
  }
}

const describeError = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export interface GpuSession {
  adapter: AdapterInfo;
  device: GPUDevice;
  /** Set once the device is lost; every wait on the GPU checks it. */
  lostError: GpuError | null;
  /** Rejects with the device-lost GpuError. */
  lost: Promise<never>;
  pipelines: Map<Kernel, Promise<GPUComputePipeline>>;
}

const browserGpu = (): GPU | undefined => (globalThis.navigator as { gpu?: GPU } | undefined)?.gpu;

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
async function guard<T>(s: GpuSession, work: Promise<T>): Promise<T> {
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
async function scoped<T>(s: GpuSession, what: string, fn: () => T): Promise<T> {
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

export type Size = Record<string, number>;

/** One problem instance: its buffers, the dispatches of one run, and how to read and check the output. */
export interface Problem {
  /** Operations (GFLOPS, TOPS) or bytes moved (GB/s) per run. */
  work: number;
  /** Initial contents, or the byte size of a buffer the kernel writes. */
  buffers: Record<string, ArrayBufferView | number>;
  passes: { params: ArrayBuffer; bindings: [number, string][]; groups: [number, number] }[];
  output: string;
  decode(bytes: ArrayBuffer): ArrayLike<number>;
  expected(): ref.Expected;
}

/** Grid-stride kernels get at most this many workgroups: enough threads to fill big GPUs, any n works. */
const MAX_GROUPS = 1024;

function dims<K extends string>(size: Size, names: readonly K[]): Record<K, number> {
  const out = {} as Record<K, number>;
  for (const name of names) {
    const value = size[name];
    if (!Number.isInteger(value) || (value as number) < 1) throw new RangeError(`size.${name} must be a positive integer`);
    out[name] = value as number;
  }
  return out;
}

const params = (...fields: [u32: number, f32?: number]): ArrayBuffer => {
  const buffer = new ArrayBuffer(16);
  new Uint32Array(buffer)[0] = fields[0];
  new Float32Array(buffer)[1] = fields[1] ?? 0;
  return buffer;
};

function matmulProblem(kernel: Kernel, size: Size, rand: () => number): Problem {
  const { M, N, K } = dims(size, ['M', 'N', 'K']);
  const element = kernel.element;
  const a = element === 'int8' ? ref.int8s(M * K, rand) : ref.dyadics(M * K, rand);
  const b = element === 'int8' ? ref.int8s(K * N, rand) : ref.dyadics(K * N, rand);
  const encode = (values: Int8Array | Float32Array, rows: number, cols: number, along: 'rows' | 'cols') =>
    values instanceof Int8Array
      ? ref.packInt8(values, rows, cols, along).words
      : element === 'f16'
        ? Uint16Array.from(values, ref.f32ToF16Bits)
        : values;
  const r = kernel.consts['R'] ?? 1;
  const [wx, wy] = kernel.workgroupSize;
  return {
    work: 2 * M * N * K,
    buffers: { A: encode(a, M, K, 'cols'), B: encode(b, K, N, 'rows'), C: M * N * (element === 'f16' ? 2 : 4) },
    passes: [
      {
        params: Uint32Array.of(M, N, element === 'int8' ? Math.ceil(K / 4) : K, 0).buffer,
        bindings: [
          [1, 'A'],
          [2, 'B'],
          [3, 'C'],
        ],
        groups: [Math.ceil(N / (wx * r)), Math.ceil(M / (wy * r))],
      },
    ],
    output: 'C',
    decode: (bytes) =>
      element === 'f16'
        ? Array.from(new Uint16Array(bytes, 0, M * N), ref.f16BitsToF32)
        : element === 'int8'
          ? new Int32Array(bytes, 0, M * N)
          : new Float32Array(bytes, 0, M * N),
    expected: () => ref.matmulReference(a, b, { M, N, K }, element),
  };
}

function streamProblem(kernel: Kernel, size: Size, rand: () => number): Problem {
  const { n } = dims(size, ['n']);
  const triad = kernel.kind === 'triad';
  const a = ref.dyadics(n, rand);
  const b = ref.dyadics(n, rand);
  const s = 0.5;
  const [wx, wy] = kernel.workgroupSize;
  return {
    work: (triad ? 12 : 8) * n,
    buffers: triad ? { a, b, dst: 4 * n } : { a, dst: 4 * n },
    passes: [
      {
        params: params(n, s),
        bindings: triad
          ? [
              [1, 'a'],
              [2, 'b'],
              [3, 'dst'],
            ]
          : [
              [1, 'a'],
              [3, 'dst'],
            ],
        groups: [Math.min(Math.ceil(n / (wx * wy)), MAX_GROUPS), 1],
      },
    ],
    output: 'dst',
    decode: (bytes) => new Float32Array(bytes, 0, n),
    expected: () => ref.streamReference(a, triad ? b : null, s),
  };
}

function reduceProblem(kernel: Kernel, size: Size, rand: () => number): Problem {
  const { n } = dims(size, ['n']);
  const x = ref.dyadics(n, rand);
  const [wx, wy] = kernel.workgroupSize;
  const partials = Math.min(Math.ceil(n / (wx * wy)), MAX_GROUPS);
  return {
    work: 4 * n,
    buffers: { x, partial: 4 * partials, total: 4 },
    passes: [
      {
        params: params(n),
        bindings: [
          [1, 'x'],
          [2, 'partial'],
        ],
        groups: [partials, 1],
      },
      {
        params: params(partials),
        bindings: [
          [1, 'partial'],
          [2, 'total'],
        ],
        groups: [1, 1],
      },
    ],
    output: 'total',
    decode: (bytes) => new Float32Array(bytes, 0, 1),
    expected: () => ref.sumReference(x),
  };
}

const PROBLEMS: Record<Kernel['kind'], (kernel: Kernel, size: Size, rand: () => number) => Problem> = {
  matmul: matmulProblem,
  copy: streamProblem,
  triad: streamProblem,
  reduce: reduceProblem,
};

/** Deterministic inputs (seeded) for `kernel` at `size`; `expected()` is the CPU reference of the same work. */
export const problemFor = (kernel: Kernel, size: Size, seed = 1): Problem => PROBLEMS[kernel.kind](kernel, size, ref.random(seed));

interface Job {
  record(pass: GPUComputePassEncoder): void;
  read(): Promise<ArrayLike<number>>;
  destroy(): void;
}

const align4 = (bytes: number) => Math.max(4, Math.ceil(bytes / 4) * 4);

function upload(s: GpuSession, pipeline: GPUComputePipeline, problem: Problem): Promise<Job> {
  const { device } = s;
  const owned: GPUBuffer[] = [];
  const create = (bytes: number, usage: number) => {
    const buffer = device.createBuffer({ size: align4(bytes), usage });
    owned.push(buffer);
    return buffer;
  };
  const fill = (buffer: GPUBuffer, data: ArrayBufferView) => {
    const bytes = new Uint8Array(data.buffer as ArrayBuffer, data.byteOffset, data.byteLength);
    if (bytes.byteLength % 4 === 0) return device.queue.writeBuffer(buffer, 0, bytes);
    // writeBuffer wants a multiple of 4 bytes, which an odd count of f16 is not.
    const padded = new Uint8Array(align4(bytes.byteLength));
    padded.set(bytes);
    device.queue.writeBuffer(buffer, 0, padded);
  };
  const job = scoped(s, 'Could not allocate the benchmark buffers', () => {
    const buffers = new Map<string, GPUBuffer>();
    for (const [name, content] of Object.entries(problem.buffers)) {
      if (typeof content === 'number') {
        buffers.set(name, create(content, BufferUsage.STORAGE | BufferUsage.COPY_SRC));
      } else {
        const buffer = create(content.byteLength, BufferUsage.STORAGE | BufferUsage.COPY_DST);
        fill(buffer, content);
        buffers.set(name, buffer);
      }
    }
    const bound = (name: string) => {
      const buffer = buffers.get(name);
      if (!buffer) throw new Error(`problem binds unknown buffer ${name}`);
      return buffer;
    };
    const passes = problem.passes.map((pass) => {
      const uniform = create(pass.params.byteLength, BufferUsage.UNIFORM | BufferUsage.COPY_DST);
      fill(uniform, new Uint8Array(pass.params));
      const entries = [[0, uniform] as const, ...pass.bindings.map(([binding, name]) => [binding, bound(name)] as const)];
      const group = device.createBindGroup({
        layout: pipeline.getBindGroupLayout(0),
        entries: entries.map(([binding, buffer]) => ({ binding, resource: { buffer } })),
      });
      return { group, groups: pass.groups };
    });
    const output = bound(problem.output);
    const readback = create(output.size, BufferUsage.MAP_READ | BufferUsage.COPY_DST);
    return {
      record(encoder: GPUComputePassEncoder) {
        encoder.setPipeline(pipeline);
        for (const pass of passes) {
          encoder.setBindGroup(0, pass.group);
          encoder.dispatchWorkgroups(...pass.groups);
        }
      },
      async read() {
        const encoder = device.createCommandEncoder();
        encoder.copyBufferToBuffer(output, 0, readback, 0, output.size);
        device.queue.submit([encoder.finish()]);
        await guard(s, readback.mapAsync(MapMode.READ));
        const bytes = readback.getMappedRange().slice(0);
        readback.unmap();
        return problem.decode(bytes);
      },
      destroy() {
        for (const buffer of owned) buffer.destroy();
      },
    };
  });
  return job.catch((e: unknown) => {
    for (const buffer of owned) buffer.destroy();
    throw e;
  });
}

/** Milliseconds from submitting `runs` runs in one compute pass to the GPU finishing them. */
async function time(s: GpuSession, job: Job, runs: number): Promise<number> {
  let start = 0;
  const submitted = scoped(s, 'The GPU rejected the dispatch', () => {
    const encoder = s.device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    for (let i = 0; i < runs; i++) job.record(pass);
    pass.end();
    start = performance.now();
    s.device.queue.submit([encoder.finish()]);
  });
  await guard(s, s.device.queue.onSubmittedWorkDone());
  const elapsed = performance.now() - start;
  await submitted;
  return elapsed;
}

/** Runs `kernel` once at `size` on seeded inputs and compares every output element with the CPU reference. */
export async function verifyKernel(s: GpuSession, kernel: Kernel, size: Size, seed = 1): Promise<Verification> {
  const pipeline = await compile(s, kernel);
  const problem = problemFor(kernel, size, seed);
  const job = await upload(s, pipeline, problem);
  try {
    await time(s, job, 1);
    const actual = await job.read();
    const expected = problem.expected();
    const { elements, mismatches, maxAbsError } = ref.compare(actual, expected);
    return { ok: mismatches === 0, size, elements, mismatches, maxAbsError, tolerance: expected.rule };
  } finally {
    job.destroy();
  }
}

export interface MeasureOptions {
  /** Grow the problem along its size ladder until one run takes at least this long (or the ladder ends). */
  minRunMs: number;
  /** Batch enough runs per sample to take about this long, so submit overhead does not count. */
  sampleMs: number;
  samples: number;
}

export const DEFAULT_MEASURE: MeasureOptions = { minRunMs: 5, sampleMs: 50, samples: 5 };

const SQUARES = [256, 512, 1024, 2048, 4096].map((n) => ({ M: n, N: n, K: n }));
const VECTORS = [1 << 20, 1 << 22, 1 << 24].map((n) => ({ n }));
export const LADDERS: Record<Kernel['kind'], Size[]> = { matmul: SQUARES, copy: VECTORS, triad: VECTORS, reduce: VECTORS };

/** Odd sizes (not multiples of any tile or workgroup, more elements than one grid-stride pass covers). */
export const CHECK_SIZES: Record<Kernel['kind'], Size> = {
  matmul: { M: 67, N: 45, K: 37 },
  copy: { n: 300_007 },
  triad: { n: 300_007 },
  reduce: { n: 300_007 },
};

const SCALE: Record<Kernel['unit'], number> = { GFLOPS: 1e6, 'GB/s': 1e6, TOPS: 1e9 };

export type Measurement = Omit<Extract<KernelResult, { status: 'measured' }>, 'status' | 'kernel' | 'unit' | 'verification'>;

/** Times `kernel`: a warm-up run, then `samples` batches; the figure is work per run over the median run time. */
export async function measureKernel(s: GpuSession, kernel: Kernel, options: MeasureOptions = DEFAULT_MEASURE): Promise<Measurement> {
  const pipeline = await compile(s, kernel);
  const limit = s.device.limits.maxStorageBufferBindingSize;
  let chosen: { job: Job; size: Size; work: number; ms: number } | undefined;
  try {
    for (const [i, size] of LADDERS[kernel.kind].entries()) {
      const problem = problemFor(kernel, size, i + 1);
      const largest = Math.max(...Object.values(problem.buffers).map((b) => (typeof b === 'number' ? b : b.byteLength)));
      if (largest > limit) break;
      const job = await upload(s, pipeline, problem);
      chosen?.job.destroy();
      chosen = { job, size, work: problem.work, ms: Infinity };
      await time(s, job, 1);
      chosen.ms = await time(s, job, 1);
      if (chosen.ms >= options.minRunMs) break;
    }
  } catch (e) {
    chosen?.job.destroy();
    throw e;
  }
  if (!chosen) {
    throw new GpuError('gpu-error', `${kernel.id}: even its smallest size needs larger buffers than this GPU allows (${limit} bytes).`);
  }
  const picked = chosen;
  try {
    const runsPerSample = Math.min(1000, Math.max(1, Math.ceil(options.sampleMs / Math.max(picked.ms, 0.01))));
    const perRun: number[] = [];
    for (let i = 0; i < options.samples; i++) perRun.push((await time(s, picked.job, runsPerSample)) / runsPerSample);
    perRun.sort((x, y) => x - y);
    const medianMs = perRun[Math.floor(perRun.length / 2)] as number;
    const bestMs = perRun[0] as number;
    const rate = (ms: number) => picked.work / Math.max(ms, 1e-6) / SCALE[kernel.unit];
    return {
      value: rate(medianMs),
      best: rate(bestMs),
      size: picked.size,
      workPerRun: picked.work,
      medianMs,
      samples: options.samples,
      runsPerSample,
    };
  } finally {
    picked.job.destroy();
  }
}

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
