import { encodeModel, seededFloats } from '../../main/core/onnx/onnx-model.js';

const SIDE = 512;

/** `layers` chained 512×512 MatMuls by one weight `w` on a [rows, 512] input. */
function chain(layers: number, w: Float32Array): Uint8Array {
  return encodeModel({
    nodes: Array.from({ length: layers }, (_, i) => ({
      op: 'MatMul',
      inputs: [i ? `H${i}` : 'X', 'W'],
      outputs: [i === layers - 1 ? 'Y' : `H${i + 1}`],
    })),
    inputs: [{ name: 'X', dtype: 'float32', shape: ['batch', SIDE] }],
    outputs: [{ name: 'Y', dtype: 'float32', shape: ['batch', SIDE] }],
    initializers: [{ name: 'W', dtype: 'float32', shape: [SIDE, SIDE], data: w }],
  });
}

/** `layers` chained 512×512 MatMuls on a [rows, 512] input: long enough to suspend or kill mid-run. */
export const slowModel = (layers: number): Uint8Array =>
  chain(
    layers,
    seededFloats(SIDE * SIDE, 11).map((v) => v / 16),
  );

/**
 * As slow as slowModel (onnxruntime multiplies every zero), but each layer only moves every column one place right,
 * so its answer is known without running it (`rotated`): a test need not spend a run on the expected result.
 */
export function rotationModel(layers: number): Uint8Array {
  const w = new Float32Array(SIDE * SIDE);
  for (let i = 0; i < SIDE; i++) w[i * SIDE + ((i + 1) % SIDE)] = 1;
  return chain(layers, w);
}

/** What rotationModel(layers) answers for `x` (rows of 512): every column moved `layers` places right, exactly. */
export function rotated(x: Float32Array, layers: number): Float32Array {
  const y = new Float32Array(x.length);
  for (let at = 0; at < x.length; at += SIDE) for (let j = 0; j < SIDE; j++) y[at + ((j + layers) % SIDE)] = x[at + j]!;
  return y;
}
