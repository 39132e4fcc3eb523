/** Problem instances for each kernel kind: seeded inputs, the dispatches of one run, and the CPU reference. */
import type { Kernel } from './kernels';
import * as ref from './reference';

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
  // eslint-disable-next-line @typescript-eslint/consistent-type-assertions -- the loop below sets every name or throws
  const out = {} as Record<K, number>;
  for (const name of names) {
    const value = size[name];
    if (value === undefined || !Number.isInteger(value) || value < 1) throw new RangeError(`size.${name} must be a positive integer`);
    out[name] = value;
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
