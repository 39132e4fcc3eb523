import { createHash, randomBytes, randomUUID } from 'node:crypto';
import * as ort from 'onnxruntime-node';
import type { Task, TaskResult, Tensor } from '../common/task.js';
import { countOperations, readModelGraph } from '../core/runtime/model-graph.js';
import { gemmModel, matMulModel, seededFloats } from '../core/runtime/onnx-model.js';

/** A model the devnet hands out: generated at start (nothing is downloaded), served by hash. */
export interface DevnetModel {
  sha256: string;
  bytes: Uint8Array;
  inner: number;
  cols: number;
}

/** Small MatMul/Gemm models with a dynamic batch axis: real onnxruntime work of a few MFLOP per task. */
export function devnetModels(): DevnetModel[] {
  const specs = [
    { kind: 'matmul', inner: 64, cols: 64, seed: 11 },
    { kind: 'gemm', inner: 128, cols: 64, seed: 12 },
    { kind: 'matmul', inner: 256, cols: 128, seed: 13 },
  ] as const;
  return specs.map((s) => {
    const spec = { rows: 'batch', inner: s.inner, cols: s.cols, seed: s.seed };
    const { bytes } = s.kind === 'gemm' ? gemmModel(spec) : matMulModel(spec);
    return { sha256: createHash('sha256').update(bytes).digest('hex'), bytes, inner: s.inner, cols: s.cols };
  });
}

const toBase64 = (a: Float32Array): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');

export interface IssuedTask {
  task: Task;
  model: DevnetModel;
  /** Floating-point operations of this task, from the model graph: what the receipt pays for. */
  operations: number;
  /** Bytes the device moves for it (model, input, output). */
  bytes: number;
}

/** A fresh task on one of the models, with random input rows. */
export function makeTask(models: readonly DevnetModel[], baseUrl: string, now: number, deadlineMs: number): IssuedTask {
  const model = models[randomBytes(1)[0]! % models.length]!;
  const rows = 1 + (randomBytes(1)[0]! % 16);
  const input = seededFloats(rows * model.inner, randomBytes(4).readUInt32LE());
  const operations = countOperations(readModelGraph(model.bytes), { X: [rows, model.inner] });
  const task: Task = {
    id: `devnet-${randomUUID()}`,
    model: { url: new URL(`v1/models/${model.sha256}`, baseUrl).href, sha256: model.sha256, size: model.bytes.length },
    inputs: { X: { kind: 'inline', dtype: 'float32', shape: [rows, model.inner], data: toBase64(input) } },
    outputs: ['Y'],
    deadline: now + deadlineMs,
    memoryEstimateBytes: model.bytes.length * 2 + rows * (model.inner + model.cols) * 4,
    device: 'any',
    rewardEstimate: (operations / 1e9) * 0.00000001,
    priority: 5,
  };
  return { task, model, operations, bytes: model.bytes.length + (rows * (model.inner + model.cols) * 4) };
}

const floats = (t: Tensor): Float32Array | null => {
  if (t.kind !== 'inline' || t.dtype !== 'float32') return null;
  const buf = Buffer.from(t.data, 'base64');
  if (buf.length % 4 !== 0) return null;
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
};

/** Recomputes the task with onnxruntime and compares; returns null when the result matches, else why not. */
export class Verifier {
  private readonly sessions = new Map<string, Promise<ort.InferenceSession>>();

  async check(issued: IssuedTask, result: TaskResult): Promise<string | null> {
    const y = result.outputs['Y'];
    const x = issued.task.inputs['X'];
    if (!y || !x) return 'output Y is missing';
    const got = floats(y);
    const input = floats(x);
    if (!got || !input) return 'output Y is not an inline float32 tensor';
    const rows = x.shape[0] ?? 0;
    if (y.shape.length !== 2 || y.shape[0] !== rows || y.shape[1] !== issued.model.cols) return `output Y has shape [${y.shape.join(',')}]`;
    let session = this.sessions.get(issued.model.sha256);
    if (!session) {
      session = ort.InferenceSession.create(issued.model.bytes, { intraOpNumThreads: 1 });
      this.sessions.set(issued.model.sha256, session);
    }
    const out = await (await session).run({ X: new ort.Tensor('float32', input, [rows, issued.model.inner]) });
    const want = out['Y']?.data as Float32Array | undefined;
    if (!want || want.length !== got.length) return 'output Y has the wrong number of elements';
    for (let i = 0; i < want.length; i++) {
      const w = want[i]!;
      if (!(Math.abs(w - got[i]!) <= 1e-3 * (1 + Math.abs(w)))) return `output Y[${i}] is ${got[i]}, expected ${w}`;
    }
    return null;
  }

  async close(): Promise<void> {
    for (const session of this.sessions.values()) await (await session).release();
    this.sessions.clear();
  }
}
