/** Runs a kernel on the GPU: uploads a problem, checks its output against the CPU reference, and times it. */
import type { KernelResult, Verification } from '../../../../main/common/webgpu';
import type { Kernel } from './kernels';
import { problemFor, type Problem, type Size } from './problems';
import * as ref from './reference';
import { compile, GpuError, guard, scoped, type GpuSession } from './session';
import { BufferUsage, MapMode, type GPUBuffer, type GPUComputePassEncoder, type GPUComputePipeline } from './webgpu-api';

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
    // eslint-disable-next-line @typescript-eslint/consistent-type-assertions -- the page's typed arrays are never on a SharedArrayBuffer; writeBuffer's type wants an ArrayBuffer
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
    const medianMs = perRun[Math.floor(perRun.length / 2)] ?? NaN;
    const bestMs = perRun[0] ?? NaN;
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
