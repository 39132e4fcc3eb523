/**
 * Reads just enough of an ONNX ModelProto to account for a run: graph inputs/outputs (is there a dynamic batch
 * axis?) and the operations each node performs for given input shapes. Initializer bytes are skipped, not copied.
 */

type Field = { field: number; wire: number; value: number | Uint8Array };

function* fields(buf: Uint8Array): Generator<Field> {
  let at = 0;
  const varint = (): number => {
    let result = 0;
    let scale = 1;
    for (;;) {
      const byte = buf[at++];
      if (byte === undefined) throw new Error('truncated protobuf');
      result += (byte & 0x7f) * scale;
      if (byte < 0x80) return result;
      scale *= 128;
    }
  };
  while (at < buf.length) {
    const k = varint();
    const wire = k & 7;
    const field = Math.floor(k / 8);
    if (wire === 0) yield { field, wire, value: varint() };
    else if (wire === 2) {
      const len = varint();
      if (at + len > buf.length) throw new Error('truncated protobuf');
      yield { field, wire, value: buf.subarray(at, (at += len)) };
    } else if (wire === 5 || wire === 1) at += wire === 5 ? 4 : 8;
    else throw new Error(`unsupported protobuf wire type ${wire}`);
  }
}

const dec = new TextDecoder();
const text = (v: number | Uint8Array): string => (typeof v === 'number' ? '' : dec.decode(v));
const sub = (v: number | Uint8Array): Uint8Array => (typeof v === 'number' ? new Uint8Array() : v);

export type Dim = number | string;
export interface GraphValue {
  name: string;
  shape: Dim[];
}
interface GraphNode {
  op: string;
  inputs: string[];
  outputs: string[];
  ints: Record<string, number>;
  /** Integer-list attributes (kernel_shape, strides, pads, dilations). */
  lists: Record<string, number[]>;
  strings: Record<string, string>;
  /** A Constant node's value: its dims. */
  valueDims?: number[];
}
export interface ModelGraph {
  nodes: GraphNode[];
  inputs: GraphValue[];
  outputs: GraphValue[];
  /** Static shapes known without running: initializers and value_info. */
  known: Map<string, number[]>;
  /** Every graph input and output has the same symbolic first axis: tasks can be stacked along it. */
  batchable: boolean;
}

function valueInfo(buf: Uint8Array): GraphValue {
  const v: GraphValue = { name: '', shape: [] };
  for (const f of fields(buf)) {
    if (f.field === 1) v.name = text(f.value);
    if (f.field !== 2) continue;
    for (const t of fields(sub(f.value))) {
      if (t.field !== 1) continue; // tensor_type
      for (const tt of fields(sub(t.value))) {
        if (tt.field !== 2) continue; // shape
        for (const d of fields(sub(tt.value))) {
          let dim: Dim = '?';
          for (const dv of fields(sub(d.value))) dim = dv.field === 1 ? Number(dv.value) : text(dv.value);
          v.shape.push(dim);
        }
      }
    }
  }
  return v;
}

/** A TensorProto's name and dims (its data is skipped). */
function tensorDims(buf: Uint8Array): { name: string; dims: number[] } {
  const t: { name: string; dims: number[] } = { name: '', dims: [] };
  for (const f of fields(buf)) {
    if (f.field === 1) t.dims.push(...ints(f.value));
    if (f.field === 8) t.name = text(f.value);
  }
  return t;
}

/** A repeated int64 field's value: one varint, or a packed run of them (what onnx's Python writer emits). */
const ints = (v: number | Uint8Array): number[] =>
  typeof v === 'number' ? [v] : [...fields(packedAsFields(v))].map((p) => Number(p.value));

function node(buf: Uint8Array): GraphNode {
  const n: GraphNode = { op: '', inputs: [], outputs: [], ints: {}, lists: {}, strings: {} };
  for (const f of fields(buf)) {
    if (f.field === 1) n.inputs.push(text(f.value));
    else if (f.field === 2) n.outputs.push(text(f.value));
    else if (f.field === 4) n.op = text(f.value);
    else if (f.field === 5) {
      let name = '';
      for (const a of fields(sub(f.value))) {
        if (a.field === 1) name = text(a.value);
        // AttributeProto: i = 3, s = 4, t = 5, ints = 8.
        else if (a.field === 3 && typeof a.value === 'number') n.ints[name] = a.value;
        else if (a.field === 4) n.strings[name] = text(a.value);
        else if (a.field === 5) n.valueDims = tensorDims(sub(a.value)).dims;
        else if (a.field === 8) (n.lists[name] ??= []).push(...ints(a.value));
      }
    }
  }
  return n;
}

export function readModelGraph(model: Uint8Array): ModelGraph {
  const g: ModelGraph = { nodes: [], inputs: [], outputs: [], known: new Map(), batchable: false };
  const initializerNames = new Set<string>();
  for (const f of fields(model)) {
    if (f.field !== 7) continue;
    for (const gf of fields(sub(f.value))) {
      const v = sub(gf.value);
      if (gf.field === 1) {
        const n = node(v);
        g.nodes.push(n);
        // Some exporters keep weights in Constant nodes rather than initializers.
        if (n.op === 'Constant' && n.valueDims && n.outputs[0]) g.known.set(n.outputs[0], n.valueDims);
      } else if (gf.field === 5) {
        const { name, dims } = tensorDims(v);
        g.known.set(name, dims);
        initializerNames.add(name);
      } else if (gf.field === 11) g.inputs.push(valueInfo(v));
      else if (gf.field === 12) g.outputs.push(valueInfo(v));
      else if (gf.field === 13) {
        const vi = valueInfo(v);
        if (vi.shape.length && vi.shape.every((d): d is number => typeof d === 'number')) g.known.set(vi.name, vi.shape);
      }
    }
  }
  // Older models list initializers among the inputs too; they are not fed.
  g.inputs = g.inputs.filter((i) => !initializerNames.has(i.name));
  const first = g.inputs[0]?.shape[0];
  g.batchable =
    typeof first === 'string' && first !== '?' && [...g.inputs, ...g.outputs].every((v) => v.shape.length > 0 && v.shape[0] === first);
  return g;
}

/** Packed varints re-read as field-1 varints, so one decoder serves both encodings. */
function packedAsFields(packed: Uint8Array): Uint8Array {
  const out: number[] = [];
  let i = 0;
  while (i < packed.length) {
    out.push(0x08);
    let byte: number;
    do {
      byte = packed[i++] ?? 0;
      out.push(byte);
    } while (byte & 0x80 && i < packed.length);
  }
  return Uint8Array.from(out);
}

const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
const ELEMENTWISE = new Set(
  ['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Relu', 'LeakyRelu', 'Sigmoid', 'HardSigmoid', 'HardSwish', 'Tanh', 'Exp', 'Erf'].concat([
    'Sqrt',
    'Reciprocal',
    'Neg',
    'Abs',
    'Clip',
    'Softmax',
  ]),
);

function broadcast(shapes: number[][]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  return Array.from({ length: rank }, (_, i) => Math.max(...shapes.map((s) => s[s.length - rank + i] ?? 1)));
}

/** A Conv's or pool's output size along each spatial axis (ONNX pads: all begins, then all ends). */
function spatial(n: GraphNode, sizes: number[], kernel: number[]): number[] {
  const { strides = [], dilations = [], pads = [] } = n.lists;
  const auto = n.strings['auto_pad'] ?? 'NOTSET';
  const round = n.ints['ceil_mode'] ? Math.ceil : Math.floor;
  return sizes.map((size, i) => {
    const stride = strides[i] ?? 1;
    if (auto === 'SAME_UPPER' || auto === 'SAME_LOWER') return Math.ceil(size / stride);
    const span = (dilations[i] ?? 1) * ((kernel[i] ?? 1) - 1) + 1;
    const pad = auto === 'VALID' ? 0 : (pads[i] ?? 0) + (pads[i + sizes.length] ?? 0);
    return round((size + pad - span) / stride) + 1;
  });
}

/**
 * Operations of one run for the fed input shapes: multiply-adds count 2 (MatMul/MatMulInteger/Gemm, Conv), plus one
 * per bias element; pools count one per window element, BatchNormalization two per element, elementwise ops one per
 * output element. Other ops (Reshape, Concat, ...) count 0, and so does everything after a node whose output shape
 * cannot be followed without running it.
 */
export function countOperations(g: ModelGraph, feedShapes: Record<string, readonly number[]>): number {
  const shapes = new Map<string, number[]>(g.known);
  for (const [name, s] of Object.entries(feedShapes)) shapes.set(name, [...s]);
  let ops = 0;
  for (const n of g.nodes) {
    const ins = n.inputs.map((i) => shapes.get(i));
    const [a, b, c] = ins;
    let out: number[] | undefined;
    /* eslint-disable @typescript-eslint/no-non-null-assertion -- each branch's condition checked the ranks of the shapes it indexes */
    if ((n.op === 'MatMul' || n.op === 'MatMulInteger') && a && b && a.length >= 2 && b.length >= 2) {
      const m = a[a.length - 2]!;
      const k = a[a.length - 1]!;
      const cols = b[b.length - 1]!;
      const batch = broadcast([a.slice(0, -2), b.slice(0, -2)]);
      out = [...batch, m, cols];
      ops += 2 * numel(batch) * m * k * cols;
    } else if (n.op === 'Gemm' && a?.length === 2 && b?.length === 2) {
      const [m, k] = n.ints['transA'] ? [a[1]!, a[0]!] : [a[0]!, a[1]!];
      const cols = n.ints['transB'] ? b[0]! : b[1]!;
      out = [m, cols];
      ops += 2 * m * k * cols + (c ? m * cols : 0);
    } else if (n.op === 'Conv' && a && b && a.length >= 3 && b.length === a.length) {
      // X [N, C, ...], W [M, C/group, ...kernel]
      const kernel = b.slice(2);
      out = [a[0]!, b[0]!, ...spatial(n, a.slice(2), kernel)];
      ops += 2 * numel(out) * (a[1]! / (n.ints['group'] ?? 1)) * numel(kernel) + (c ? numel(out) : 0);
    } else if ((n.op === 'MaxPool' || n.op === 'AveragePool') && a && a.length >= 3 && n.lists['kernel_shape']) {
      const kernel = n.lists['kernel_shape'];
      out = [a[0]!, a[1]!, ...spatial(n, a.slice(2), kernel)];
      ops += numel(out) * numel(kernel);
    } else if ((n.op === 'GlobalAveragePool' || n.op === 'GlobalMaxPool') && a && a.length >= 3) {
      out = [a[0]!, a[1]!, ...a.slice(2).map(() => 1)];
      ops += numel(a);
      /* eslint-enable @typescript-eslint/no-non-null-assertion -- the branches that index shapes end here */
    } else if (n.op === 'BatchNormalization' && a) {
      out = a;
      ops += 2 * numel(a);
    } else if (ELEMENTWISE.has(n.op)) {
      const given = n.inputs.filter(Boolean).map((i) => shapes.get(i)); // optional inputs may be named ''
      if (given.length > 0 && given.every((s): s is number[] => s !== undefined)) {
        out = broadcast(given);
        ops += numel(out);
      }
    }
    if (out && n.outputs[0]) shapes.set(n.outputs[0], out);
  }
  return ops;
}
