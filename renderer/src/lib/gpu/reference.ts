/**
 * CPU side of the GPU checks: deterministic inputs, float64 references and the tolerance rule. Pure TypeScript,
 * no WebGPU, so the same code runs in the page (to verify outputs) and in Node (to test the rule itself).
 */

export type Element = 'f32' | 'f16' | 'int8';

/** Unit roundoff of the arithmetic the kernel accumulates in. */
export const UNIT_ROUNDOFF = { f32: 2 ** -24, f16: 2 ** -11 } as const;

/**
 * γₙ = n·u / (1 − n·u): a sum or dot product of n terms computed in floating point, in any order and with or
 * without fused multiply-add, is within γₙ·Σ|terms| of the exact value (Higham, Accuracy and Stability of
 * Numerical Algorithms, §3.1). Infinite once n·u ≥ 1, where the bound says nothing.
 */
export function gamma(n: number, u: number): number {
  return n * u < 1 ? (n * u) / (1 - n * u) : Infinity;
}

export function toleranceRule(element: Element, terms: string): string {
  if (element === 'int8') return 'exact (integer arithmetic)';
  const u = element === 'f32' ? '2^-24' : '2^-11';
  return `|gpu - ref| <= gamma_n * sum|terms|, n = ${terms}, gamma_n = n*u/(1-n*u), u = ${u}`;
}

/** mulberry32: small, seedable, and the same sequence in every browser and in Node. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/**
 * Float inputs are multiples of 1/8 in [-1, 1]: exact in f16 and f32, so the reference sees the very values the
 * GPU sees, and on f32 every partial sum the kernels form stays exact (any difference at all is a bug).
 */
export function dyadics(count: number, rand: () => number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = (Math.floor(rand() * 17) - 8) / 8;
  return out;
}

export function int8s(count: number, rand: () => number): Int8Array {
  const out = new Int8Array(count);
  for (let i = 0; i < count; i++) out[i] = Math.floor(rand() * 256) - 128;
  return out;
}

/** What a kernel must produce: the value per element and how far from it the GPU may land (all zero = exact). */
export interface Expected {
  values: Float64Array;
  allowed: Float64Array;
  rule: string;
}

/** C = A·B (row-major, A M×K, B K×N) in float64, with the per-element bound from Σ|a·b|. */
export function matmulReference(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  size: { M: number; N: number; K: number },
  element: Element,
): Expected {
  const { M, N, K } = size;
  const values = new Float64Array(M * N);
  const allowed = new Float64Array(M * N);
  const g = element === 'int8' ? 0 : gamma(K, UNIT_ROUNDOFF[element]);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let sum = 0;
      let abs = 0;
      for (let k = 0; k < K; k++) {
        const p = (a[i * K + k] ?? NaN) * (b[k * N + j] ?? NaN);
        sum += p;
        abs += Math.abs(p);
      }
      values[i * N + j] = sum;
      allowed[i * N + j] = g * abs;
    }
  }
  return { values, allowed, rule: toleranceRule(element, 'K') };
}

/** dst = a + s·b; copy is the case b = null (exact: nothing is rounded). */
export function streamReference(a: Float32Array, b: Float32Array | null, s: number): Expected {
  const values = new Float64Array(a.length);
  const allowed = new Float64Array(a.length);
  const g = gamma(2, UNIT_ROUNDOFF.f32);
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? NaN;
    const y = b ? s * (b[i] ?? NaN) : 0;
    values[i] = x + y;
    allowed[i] = b ? g * (Math.abs(x) + Math.abs(y)) : 0;
  }
  return { values, allowed, rule: b ? toleranceRule('f32', '2') : 'exact (copy)' };
}

export function sumReference(x: Float32Array): Expected {
  let sum = 0;
  let abs = 0;
  for (const v of x) {
    sum += v;
    abs += Math.abs(v);
  }
  return {
    values: Float64Array.of(sum),
    allowed: Float64Array.of(gamma(x.length, UNIT_ROUNDOFF.f32) * abs),
    rule: toleranceRule('f32', 'n'),
  };
}

export interface Comparison {
  elements: number;
  mismatches: number;
  maxAbsError: number;
}

/** NaN or a length mismatch count as mismatches, never as passes. NaN and ∞ errors report as Number.MAX_VALUE (JSON has no ∞). */
export function compare(actual: ArrayLike<number>, expected: Expected): Comparison {
  const n = expected.values.length;
  let mismatches = Math.abs(actual.length - n);
  let maxAbsError = 0;
  for (let i = 0; i < Math.min(n, actual.length); i++) {
    const error = Math.abs((actual[i] ?? NaN) - (expected.values[i] ?? NaN));
    if (!(error <= (expected.allowed[i] ?? NaN))) mismatches++;
    maxAbsError = Math.max(maxAbsError, Number.isNaN(error) ? Number.MAX_VALUE : Math.min(error, Number.MAX_VALUE));
  }
  return { elements: n, mismatches, maxAbsError };
}

/** IEEE 754 binary16 encoding, round to nearest even (no Float16Array in TypeScript's lib or Node 20). */
export function f32ToF16Bits(value: number): number {
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  f[0] = value;
  const x = u[0] ?? 0;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    return sign | (half + (rest > mid || (rest === mid && half & 1) ? 1 : 0));
  }
  let half = mant >>> 13;
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) {
    half++;
    if (half === 0x400) {
      half = 0;
      e++;
      if (e >= 0x1f) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | half;
}

export function f16BitsToF32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >>> 10) & 0x1f;
  const mant = bits & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** Four int8 per u32, byte j = element 4w + j (the order dot4I8Packed and the manual unpack both read). */
export function packInt8(values: Int8Array, rows: number, cols: number, along: 'rows' | 'cols'): { words: Uint32Array; count: number } {
  // Packing runs along K: the columns of A (along 'cols') or the rows of B (along 'rows'); K is padded with zeros.
  const k = along === 'cols' ? cols : rows;
  const kw = Math.ceil(k / 4);
  const words = new Uint32Array(along === 'cols' ? rows * kw : kw * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const kIndex = along === 'cols' ? c : r;
      const word = along === 'cols' ? r * kw + (c >> 2) : (r >> 2) * cols + c;
      words[word] = ((words[word] ?? 0) | (((values[r * cols + c] ?? 0) & 0xff) << (8 * (kIndex & 3)))) >>> 0;
    }
  }
  return { words, count: kw };
}
