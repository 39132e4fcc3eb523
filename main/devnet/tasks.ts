import { createHash, randomUUID } from 'node:crypto';
import * as ort from 'onnxruntime-node';
import type { ComputeResource } from '../common/protocol.js';
import type { ResultTensor, Task, TaskResult, Tensor } from '../common/task.js';
import { countOperations, readModelGraph } from '../core/onnx/model-graph.js';
import { encodeModel, seededFloats } from '../core/onnx/onnx-model.js';
import { rewardWei } from '../core/economics/rewards.js';
import { START_GFLOPS } from './pace.js';
import { cryptoRandom, type Random } from './random.js';

/** A model the devnet hands out: generated at start (nothing is downloaded), served by hash. */
export interface DevnetModel {
  sha256: string;
  bytes: Uint8Array;
  /** Columns of X and of Y. */
  inputs: number;
  outputs: number;
  /** What one input row costs, from the model graph (a chain of MatMuls is linear in the rows). */
  flopsPerRow: number;
}

const WIDTH = 512;
const LAYERS = 256;
const INPUTS = 16;
const OUTPUTS = 8;
const MODEL_NAME = `Deep MatMul test network (${LAYERS} layers of ${WIDTH}×${WIDTH})`;

/** A random orthogonal matrix (a product of Householder reflections): repeated, it keeps values at their size. */
/* eslint-disable @typescript-eslint/no-non-null-assertion -- every index below is under n (into v) or n * n (into m) */
function orthogonal(n: number, reflections: number, seed: number): Float32Array {
  const m = new Float64Array(n * n);
  for (let i = 0; i < n; i++) m[i * n + i] = 1;
  for (let r = 0; r < reflections; r++) {
    const v = Float64Array.from(seededFloats(n, seed + r));
    const norm = Math.hypot(...v);
    for (let k = 0; k < n; k++) v[k]! /= norm;
    // M ← M (I − 2vvᵀ)
    for (let i = 0; i < n; i++) {
      let dot = 0;
      for (let k = 0; k < n; k++) dot += m[i * n + k]! * v[k]!;
      for (let k = 0; k < n; k++) m[i * n + k]! -= 2 * dot * v[k]!;
    }
  }
  return Float32Array.from(m);
}
/* eslint-enable @typescript-eslint/no-non-null-assertion -- orthogonal ends here */

/**
 * The devnet's model: X[batch, 16] → 512 wide → 256 MatMul layers of one orthogonal 512×512 matrix → Y[batch, 8].
 * 134 MFLOP per input row for 64 bytes in and 32 out, so a task is compute, not transfer (bandwidth pays 10^6 wei a
 * byte, CPU work 10 wei a FLOP); the model is 1.1 MB, fetched once. Orthogonal layers keep values near 1, so a
 * result can be checked to a relative 1e-3 whatever the device's summation order.
 */
export function devnetModels(): DevnetModel[] {
  const nodes = [
    { op: 'MatMul', inputs: ['X', 'A'], outputs: ['H0'] },
    ...Array.from({ length: LAYERS }, (_, i) => ({ op: 'MatMul', inputs: [`H${i}`, 'Q'], outputs: [`H${i + 1}`] })),
    { op: 'MatMul', inputs: [`H${LAYERS}`, 'B'], outputs: ['Y'] },
  ];
  const bytes = encodeModel({
    nodes,
    inputs: [{ name: 'X', dtype: 'float32', shape: ['batch', INPUTS] }],
    outputs: [{ name: 'Y', dtype: 'float32', shape: ['batch', OUTPUTS] }],
    initializers: [
      { name: 'A', dtype: 'float32', shape: [INPUTS, WIDTH], data: seededFloats(INPUTS * WIDTH, 21).map((v) => v / 2) },
      { name: 'Q', dtype: 'float32', shape: [WIDTH, WIDTH], data: orthogonal(WIDTH, 16, 22) },
      { name: 'B', dtype: 'float32', shape: [WIDTH, OUTPUTS], data: seededFloats(WIDTH * OUTPUTS, 23).map((v) => v / Math.sqrt(WIDTH)) },
    ],
  });
  const flopsPerRow = countOperations(readModelGraph(bytes), { X: [1, INPUTS] });
  return [{ sha256: createHash('sha256').update(bytes).digest('hex'), bytes, inputs: INPUTS, outputs: OUTPUTS, flopsPerRow }];
}

const toBase64 = (a: Float32Array): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');

export interface IssuedTask {
  task: Task;
  model: DevnetModel;
  /** Floating-point operations of this task, from the model graph: what the receipt pays for. */
  operations: bigint;
}

/**
 * Tasks take 50–500 ms (log-uniform) on the device that leases them, at its pace (`pace.ts`: verified results, under
 * the share it runs at; 20 GFLOPS when none is known). Sized to the device, a fast machine is not flooded with tiny
 * tasks (and receipts), nor a slow one handed minutes of work.
 */
const TASK_MS = { min: 50, max: 500 };
const MAX_ROWS = 4096;

export interface TaskOptions {
  device?: Task['device'];
  /** How fast the leasing device works, in GFLOPS. */
  gflops?: number;
  /** Draws the model, the size and the input values. */
  random?: Random;
}

/** A fresh task on one of the models, with random input rows, for the kind of device that leases it. */
export function makeTask(
  models: readonly DevnetModel[],
  baseUrl: string,
  now: number,
  deadlineMs: number,
  options: TaskOptions = {},
): IssuedTask {
  const device = options.device ?? 'any';
  const random = options.random ?? cryptoRandom;
  // eslint-disable-next-line @typescript-eslint/no-non-null-assertion -- random() is below 1, so the index is below models.length; the devnet always has models
  const model = models[Math.floor(random() * models.length)]!;
  const ms = TASK_MS.min * (TASK_MS.max / TASK_MS.min) ** random();
  const gflops = options.gflops && options.gflops > 0 ? options.gflops : START_GFLOPS;
  const rows = Math.min(MAX_ROWS, Math.max(1, Math.round((ms * gflops * 1e6) / model.flopsPerRow)));
  const input = seededFloats(rows * model.inputs, Math.floor(random() * 2 ** 32));
  const operations = BigInt(rows) * BigInt(model.flopsPerRow);
  const resource = device === 'gpu' ? 'gpu' : 'cpu';
  const task: Task = {
    id: `devnet-${randomUUID()}`,
    model: { url: new URL(`v1/models/${model.sha256}`, baseUrl).href, sha256: model.sha256, size: model.bytes.length, name: MODEL_NAME },
    inputs: { X: { kind: 'inline', dtype: 'float32', shape: [rows, model.inputs], data: toBase64(input) } },
    outputs: ['Y'],
    deadline: now + deadlineMs,
    memoryEstimateBytes: model.bytes.length * 2 + rows * WIDTH * 4 * 3,
    ...leaseTerms(device, resource, operations),
    priority: 5,
  };
  return { task, model, operations };
}

/**
 * What a task says about the lease it is handed out on: the kind of device it is for and its pay at that kind's
 * rate. A task made for one kind may be leased by the other (given back, then taken by a GPU), so each lease sets them.
 */
export const leaseTerms = (
  device: Task['device'],
  resource: ComputeResource,
  operations: bigint,
): Pick<Task, 'device' | 'rewardEstimateWei'> => ({
  device,
  rewardEstimateWei: rewardWei(resource, operations, 50, 0).totalWei,
});

/** A float32 tensor's elements (a copy: typed views need aligned offsets), or null for any other kind. */
const floats = (t: Tensor | ResultTensor): Float32Array | null => {
  if (t.dtype !== 'float32' || ('kind' in t && t.kind !== 'inline')) return null;
  const bytes = typeof t.data === 'string' ? Buffer.from(t.data, 'base64') : t.data;
  if (bytes.byteLength % 4 !== 0) return null;
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
};

/**
 * FLOP recomputed in one onnxruntime call. Its `run` holds the event loop for the whole call, and a check of a
 * 4,096-row task at one thread takes tens of seconds: in slices of about this much, the coordinator answers other
 * requests (submits, leases, receipts) between them, as the rows of this model are independent of each other.
 */
const SLICE_FLOP = 2e9;

/** Recomputes the task with onnxruntime, a slice of rows at a time, and compares; returns null when the result matches, else why not. */
export class Verifier {
  private readonly sessions = new Map<string, Promise<ort.InferenceSession>>();

  async check(issued: IssuedTask, result: TaskResult): Promise<string | null> {
    const y = result.outputs['Y'];
    const x = issued.task.inputs['X'];
    if (!y || !x) return 'output Y is missing';
    const got = floats(y);
    const input = floats(x);
    if (!got || !input) return 'output Y is not a float32 tensor';
    const { model } = issued;
    const rows = x.shape[0] ?? 0;
    if (y.shape.length !== 2 || y.shape[0] !== rows || y.shape[1] !== model.outputs) return `output Y has shape [${y.shape.join(',')}]`;
    if (got.length !== rows * model.outputs) return 'output Y has the wrong number of elements';
    let session = this.sessions.get(model.sha256);
    if (!session) {
      session = ort.InferenceSession.create(model.bytes, { intraOpNumThreads: 1 });
      this.sessions.set(model.sha256, session);
    }
    const slice = Math.max(1, Math.floor(SLICE_FLOP / model.flopsPerRow));
    for (let first = 0; first < rows; first += slice) {
      const count = Math.min(slice, rows - first);
      const feed = new ort.Tensor('float32', input.subarray(first * model.inputs, (first + count) * model.inputs), [count, model.inputs]);
      const want = (await (await session).run({ X: feed }))['Y']?.data;
      if (!(want instanceof Float32Array) || want.length !== count * model.outputs) return 'output Y could not be worked out again';
      for (let i = 0; i < want.length; i++) {
        const w = want[i] ?? NaN;
        const at = first * model.outputs + i;
        if (!(Math.abs(w - (got[at] ?? NaN)) <= 1e-3 * (1 + Math.abs(w)))) return `output Y[${at}] is ${got[at]}, expected ${w}`;
      }
    }
    return null;
  }

  async close(): Promise<void> {
    for (const session of this.sessions.values()) await (await session).release();
    this.sessions.clear();
  }
}
