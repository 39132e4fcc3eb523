import { performance } from 'node:perf_hooks';
import * as ort from 'onnxruntime-node';
import type { BenchmarkProgress } from '../../common/hardware.js';
import { matMulIntegerModel, matMulModel, seededFloats } from '../onnx/onnx-model.js';
import type { CpuMeasurement } from './classify.js';

export interface BenchmarkOptions {
  onProgress?: (progress: BenchmarkProgress) => void;
  /** Square matrix side: big enough to leave the caches, small enough for a short run. */
  size?: number;
  /** Time spent on each of the three measurements after warm-up. */
  budgetMs?: number;
}

const STEPS = ['fp32', 'int8', 'memory'] as const;

/**
 * Runs `once` until the budget is spent (at least 3 times) and returns the fastest run in ms: capability is what the
 * machine reaches, and the fastest run is the one least disturbed by other programs, so it repeats best.
 */
async function fastestMs(once: () => Promise<void> | void, budgetMs: number, report: (fraction: number) => void): Promise<number> {
  await once(); // warm-up: first runs pay for allocation and thread start
  const times: number[] = [];
  const start = performance.now();
  while (times.length < 3 || performance.now() - start < budgetMs) {
    const t0 = performance.now();
    await once();
    times.push(performance.now() - t0);
    report(Math.min(1, (performance.now() - start) / budgetMs));
    // Let the agent answer IPC and HTTP between runs; the memory copy is synchronous.
    await new Promise((resolve) => setImmediate(resolve));
  }
  return Math.min(...times);
}

async function matMulMs(bytes: Uint8Array, input: ort.Tensor, budgetMs: number, report: (f: number) => void): Promise<number> {
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], graphOptimizationLevel: 'all' });
  try {
    return await fastestMs(async () => void (await session.run({ X: input })), budgetMs, report);
  } finally {
    await session.release();
  }
}

/** CPU throughput with onnxruntime (what tasks actually run on): fp32 MatMul, int8 MatMulInteger, memory copy. */
export async function measureCpu(options: BenchmarkOptions = {}): Promise<CpuMeasurement> {
  const n = options.size ?? 512;
  const budgetMs = options.budgetMs ?? 400;
  let reported = -1;
  // Every 5 % is plenty for a progress bar and keeps listeners from being flooded.
  const progress = (step: (typeof STEPS)[number]) => (fraction: number) => {
    const overall = (STEPS.indexOf(step) + fraction) / STEPS.length;
    if (overall - reported < 0.05) return;
    reported = overall;
    options.onProgress?.({ step, fraction: overall });
  };
  const ops = 2 * n ** 3; // one multiply and one add per inner-product term

  const fp32 = matMulModel({ rows: n, inner: n, cols: n });
  const fp32Ms = await matMulMs(fp32.bytes, new ort.Tensor('float32', seededFloats(n * n, 7), [n, n]), budgetMs, progress('fp32'));

  const int8 = matMulIntegerModel({ rows: n, inner: n, cols: n });
  const activations = Uint8Array.from(seededFloats(n * n, 11), (v) => Math.floor((v + 1) * 127));
  const int8Ms = await matMulMs(int8.bytes, new ort.Tensor('uint8', activations, [n, n]), budgetMs, progress('int8'));

  // A copy larger than any cache reads and writes every byte once.
  const from = Buffer.alloc(64 * 1024 * 1024, 1);
  const to = Buffer.alloc(from.length);
  const copyMs = await fastestMs(() => void from.copy(to), budgetMs, progress('memory'));

  options.onProgress?.({ step: 'done', fraction: 1 });
  return {
    fp32Gflops: ops / fp32Ms / 1e6,
    int8Tops: ops / int8Ms / 1e9,
    memoryBandwidthGbps: (2 * from.length) / copyMs / 1e6,
  };
}
