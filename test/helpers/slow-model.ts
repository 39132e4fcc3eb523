import { encodeModel, seededFloats } from '../../main/core/onnx/onnx-model.js';

/** `layers` chained 512×512 MatMuls on a [rows, 512] input: long enough to suspend or kill mid-run. */
export function slowModel(layers: number): Uint8Array {
  const w = seededFloats(512 * 512, 11).map((v) => v / 16);
  return encodeModel({
    nodes: Array.from({ length: layers }, (_, i) => ({
      op: 'MatMul',
      inputs: [i ? `H${i}` : 'X', 'W'],
      outputs: [i === layers - 1 ? 'Y' : `H${i + 1}`],
    })),
    inputs: [{ name: 'X', dtype: 'float32', shape: ['batch', 512] }],
    outputs: [{ name: 'Y', dtype: 'float32', shape: ['batch', 512] }],
    initializers: [{ name: 'W', dtype: 'float32', shape: [512, 512], data: w }],
  });
}
