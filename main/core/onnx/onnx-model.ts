/**
 * Writes small ONNX models from code (tests, benches, the devnet): a protobuf encoder for the few ModelProto fields
 * a MatMul/Gemm/MatMulInteger graph needs, so no model file or onnx package has to ship with the app.
 * Field numbers are from onnx/onnx.proto (ModelProto, GraphProto, NodeProto, TensorProto, ValueInfoProto).
 */

export type OnnxDType = 'float32' | 'uint8' | 'int8' | 'int32' | 'int64';
/** TensorProto.DataType codes. */
export const ONNX_DTYPE_CODES: Record<OnnxDType, number> = { float32: 1, uint8: 2, int8: 3, int32: 6, int64: 7 };

/** A graph input or output; a string dimension is symbolic (e.g. 'batch'), which makes that axis dynamic. */
export interface OnnxValue {
  name: string;
  dtype: OnnxDType;
  shape: readonly (number | string)[];
}
export interface OnnxNode {
  op: string;
  inputs: readonly string[];
  outputs: readonly string[];
  /** Integer (or integer list) attributes, e.g. Gemm's transB. */
  attributes?: Record<string, number | readonly number[]>;
}
export interface OnnxInitializer {
  name: string;
  dtype: OnnxDType;
  shape: readonly number[];
  data: ArrayBufferView;
}
export interface OnnxGraph {
  nodes: readonly OnnxNode[];
  inputs: readonly OnnxValue[];
  outputs: readonly OnnxValue[];
  initializers?: readonly OnnxInitializer[];
  opset?: number;
}

type Part = Uint8Array;
const enc = new TextEncoder();
const join = (parts: readonly Part[]): Part => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};
function varint(value: number | bigint): Part {
  // Negative int64 values are 10-byte two's complement on the wire.
  let v = BigInt.asUintN(64, BigInt(value));
  const bytes: number[] = [];
  do {
    const low = Number(v & 0x7fn);
    v >>= 7n;
    bytes.push(v ? low | 0x80 : low);
  } while (v);
  return Uint8Array.from(bytes);
}
const key = (field: number, wire: number): Part => varint((field << 3) | wire);
const int = (field: number, value: number): Part => join([key(field, 0), varint(value)]);
const bytes = (field: number, value: Part): Part => join([key(field, 2), varint(value.length), value]);
const str = (field: number, value: string): Part => bytes(field, enc.encode(value));
const msg = (field: number, parts: readonly Part[]): Part => bytes(field, join(parts));

function valueInfo(field: number, v: OnnxValue): Part {
  const dims = v.shape.map((d) => msg(1, [typeof d === 'number' ? int(1, d) : str(2, d)]));
  // ValueInfoProto{name=1, type=2}; TypeProto{tensor_type=1}; Tensor{elem_type=1, shape=2}; TensorShapeProto{dim=1}.
  return msg(field, [str(1, v.name), msg(2, [msg(1, [int(1, ONNX_DTYPE_CODES[v.dtype]), msg(2, dims)])])]);
}

function node(n: OnnxNode, index: number): Part {
  const attrs = Object.entries(n.attributes ?? {}).map(([name, value]) =>
    // AttributeProto{name=1, i=3, ints=8, type=20}: INT=2, INTS=7.
    typeof value === 'number'
      ? msg(5, [str(1, name), int(3, value), int(20, 2)])
      : msg(5, [str(1, name), ...value.map((v) => int(8, v)), int(20, 7)]),
  );
  return msg(1, [...n.inputs.map((i) => str(1, i)), ...n.outputs.map((o) => str(2, o)), str(3, `n${index}`), str(4, n.op), ...attrs]);
}

const initializer = (t: OnnxInitializer): Part =>
  msg(5, [
    ...t.shape.map((d) => int(1, d)),
    int(2, ONNX_DTYPE_CODES[t.dtype]),
    str(8, t.name),
    bytes(9, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)),
  ]);

/** ModelProto bytes, ready for InferenceSession.create(). */
export function encodeModel(g: OnnxGraph): Uint8Array {
  const graph = msg(7, [
    ...g.nodes.map(node),
    str(2, 'synor'),
    ...(g.initializers ?? []).map(initializer),
    ...g.inputs.map((v) => valueInfo(11, v)),
    ...g.outputs.map((v) => valueInfo(12, v)),
  ]);
  // ir_version=1 (8: understood by onnxruntime 1.14+), producer_name=2, graph=7, opset_import=8.
  return join([int(1, 8), str(2, 'synor-onnx-model'), graph, msg(8, [str(1, ''), int(2, g.opset ?? 13)])]);
}

/** Deterministic values in [-1, 1) so a test can rebuild the same weights for its plain-JS reference. */
export function seededFloats(count: number, seed = 1): Float32Array {
  const out = new Float32Array(count);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

export interface MatMulSpec {
  /** Rows of X: a number, or a name for a dynamic (batchable) first axis. */
  rows: number | string;
  inner: number;
  cols: number;
  seed?: number;
}

/** Y[rows, cols] = X[rows, inner] · W[inner, cols] with W baked in (float32). */
export function matMulModel(s: MatMulSpec): { bytes: Uint8Array; weights: Float32Array } {
  const weights = seededFloats(s.inner * s.cols, s.seed);
  const bytes = encodeModel({
    nodes: [{ op: 'MatMul', inputs: ['X', 'W'], outputs: ['Y'] }],
    inputs: [{ name: 'X', dtype: 'float32', shape: [s.rows, s.inner] }],
    outputs: [{ name: 'Y', dtype: 'float32', shape: [s.rows, s.cols] }],
    initializers: [{ name: 'W', dtype: 'float32', shape: [s.inner, s.cols], data: weights }],
  });
  return { bytes, weights };
}

/** Y = X · W + B (Gemm, float32), B broadcast over rows. */
export function gemmModel(s: MatMulSpec): { bytes: Uint8Array; weights: Float32Array; bias: Float32Array } {
  const weights = seededFloats(s.inner * s.cols, s.seed);
  const bias = seededFloats(s.cols, (s.seed ?? 1) + 7);
  const bytes = encodeModel({
    nodes: [{ op: 'Gemm', inputs: ['X', 'W', 'B'], outputs: ['Y'] }],
    inputs: [{ name: 'X', dtype: 'float32', shape: [s.rows, s.inner] }],
    outputs: [{ name: 'Y', dtype: 'float32', shape: [s.rows, s.cols] }],
    initializers: [
      { name: 'W', dtype: 'float32', shape: [s.inner, s.cols], data: weights },
      { name: 'B', dtype: 'float32', shape: [s.cols], data: bias },
    ],
  });
  return { bytes, weights, bias };
}

/** Y[int32] = X[uint8] · W[uint8] (MatMulInteger, zero points 0). */
export function matMulIntegerModel(s: MatMulSpec): { bytes: Uint8Array; weights: Uint8Array } {
  const weights = Uint8Array.from(seededFloats(s.inner * s.cols, s.seed), (v) => Math.floor((v + 1) * 128));
  const bytes = encodeModel({
    opset: 13,
    nodes: [{ op: 'MatMulInteger', inputs: ['X', 'W'], outputs: ['Y'] }],
    inputs: [{ name: 'X', dtype: 'uint8', shape: [s.rows, s.inner] }],
    outputs: [{ name: 'Y', dtype: 'int32', shape: [s.rows, s.cols] }],
    initializers: [{ name: 'W', dtype: 'uint8', shape: [s.inner, s.cols], data: weights }],
  });
  return { bytes, weights };
}

/** Plain-JS reference: row-major A[rows, inner] · B[inner, cols]. */
export function referenceMatMul(a: ArrayLike<number>, b: ArrayLike<number>, rows: number, inner: number, cols: number): number[] {
  const out = new Array<number>(rows * cols).fill(0);
  for (let r = 0; r < rows; r++)
    for (let k = 0; k < inner; k++) {
      const av = a[r * inner + k] ?? 0;
      for (let c = 0; c < cols; c++) out[r * cols + c] = (out[r * cols + c] ?? 0) + av * (b[k * cols + c] ?? 0);
    }
  return out;
}
