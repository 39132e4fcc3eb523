// The WGSL kernels and their runner in a real headless Chromium: WebGPU there is SwiftShader (on the CPU),
// so these prove correctness (every kernel equals its CPU reference), never speed (that is the bench).
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { KernelResultSchema, VerificationSchema, WebGpuReportSchema, webGpuProfile, type WebGpuReport } from '../../main/common/webgpu.js';
import {
  compare,
  dyadics,
  f16BitsToF32,
  f32ToF16Bits,
  gamma,
  matmulReference,
  packInt8,
  random,
  UNIT_ROUNDOFF,
} from '../../renderer/src/lib/gpu/reference.js';
import { launchBrowser } from '../helpers/browser.js';
import { ROOT } from '../helpers/headless.js';
import { bundleGpuRunner, openGpuPage, type GpuPage } from '../helpers/webgpu.js';

/**
 * The page's global from the bundle of renderer/src/lib/gpu/index.ts, typed loosely here (its own types need the
 * DOM lib); whatever comes back is parsed with the report's zod schemas.
 */
interface Kernel {
  id: string;
  kind: string;
  element: string;
  source: string;
  parts: { name: string; code: string }[];
}
interface Session {
  adapter: { features: string[] };
  device: { destroy(): void };
}
interface GpuApi {
  KERNELS: Kernel[];
  openGpu(): Promise<Session>;
  compile(s: Session, k: Kernel): Promise<unknown>;
  verifyKernel(s: Session, k: Kernel, size: Record<string, number>): Promise<unknown>;
  runGpuBenchmark(options?: object): Promise<unknown>;
  unsupportedReason(adapter: Session['adapter'], k: Kernel): string | null;
}
declare const SynorGpu: GpuApi;

/** The runner, bundled once for the file (both browsers load the same script). */
let bundled: Promise<string> | undefined;
const runnerScript = (): Promise<string> => (bundled ??= bundleGpuRunner());

describe('CPU reference (Node)', { timeout: 300_000 }, () => {
  test('f16 encoding: known values, round to nearest even, overflow, subnormals', { timeout: 300_000 }, () => {
    const cases: [number, number][] = [
      [1, 0x3c00],
      [-2, 0xc000],
      [65504, 0x7bff],
      [65520, 0x7c00], // halfway to the next binade rounds to even: infinity
      [2 ** -24, 0x0001],
      [2 ** -25, 0x0000], // halfway to the smallest subnormal rounds to even: zero
      [1 + 2 ** -11, 0x3c00], // tie, even stays
      [1 + 3 * 2 ** -11, 0x3c02], // tie, odd rounds up
      [0.1, 0x2e66],
    ];
    for (const [value, bits] of cases) assert.equal(f32ToF16Bits(value), bits, `f16(${value})`);
    assert.ok(Number.isNaN(f16BitsToF32(f32ToF16Bits(NaN))));
    for (let bits = 0; bits < 0x10000; bits++) {
      if ((bits & 0x7c00) === 0x7c00 && bits & 0x3ff) continue; // NaN payloads
      assert.equal(f32ToF16Bits(f16BitsToF32(bits)), bits);
    }
  });

  test('int8 packing puts element 4w + j in byte j of word w, padding K with zeros', { timeout: 300_000 }, () => {
    const a = Int8Array.of(1, -1, 2, -128, 127, 5); // 1×6 row: K = 6 → 2 words
    assert.deepEqual([...packInt8(a, 1, 6, 'cols').words], [0x80_02_ff_01, 0x00_00_05_7f]);
    const b = Int8Array.of(1, 2, 3, 4, 5, 6); // 3×2, packed down the columns: K = 3 → 1 word per column
    assert.deepEqual([...packInt8(b, 3, 2, 'rows').words], [0x00_05_03_01, 0x00_06_04_02]);
  });

  test('the tolerance is the γ_K·Σ|a·b| bound: an error inside passes, just past it fails, NaN fails', { timeout: 300_000 }, () => {
    const a = Float32Array.of(0.1, 0.2, 0.3);
    const b = Float32Array.of(0.5, -0.25, 0.125);
    const expected = matmulReference(a, b, { M: 1, N: 1, K: 3 }, 'f32');
    const products = [0, 1, 2].map((i) => Math.abs((a[i] as number) * (b[i] as number)));
    assert.equal(expected.allowed[0], gamma(3, UNIT_ROUNDOFF.f32) * (products[0]! + products[1]! + products[2]!));
    const bound = expected.allowed[0] as number;
    const exact = expected.values[0] as number;
    assert.equal(compare([exact + bound * 0.99], expected).mismatches, 0);
    assert.equal(compare([exact + bound * 1.01], expected).mismatches, 1);
    assert.deepEqual(compare([NaN], expected), { elements: 1, mismatches: 1, maxAbsError: Number.MAX_VALUE });
    assert.equal(compare([], expected).mismatches, 1, 'a missing element is a mismatch');
    const ints = matmulReference(Int8Array.of(3), Int8Array.of(-4), { M: 1, N: 1, K: 1 }, 'int8');
    assert.deepEqual([...ints.allowed], [0], 'integer kernels must be exact');
  });

  test('the f16 tolerance admits a correct f16 MatMul and still catches a dropped term (f16 emulated in JS)', { timeout: 300_000 }, () => {
    // SwiftShader has no shader-f16, so the f16 bound is checked here against real f16 rounding: every product and
    // every partial sum rounded to f16, as the f16 kernel does.
    const toF16 = (x: number) => f16BitsToF32(f32ToF16Bits(x));
    const f16MatMul = (a: Float32Array, b: Float32Array, M: number, N: number, K: number, terms: number) => {
      const out: number[] = [];
      for (let i = 0; i < M; i++) {
        for (let j = 0; j < N; j++) {
          let acc = 0;
          for (let k = 0; k < terms; k++) acc = toF16(acc + toF16((a[i * K + k] as number) * (b[k * N + j] as number)));
          out.push(acc);
        }
      }
      return out;
    };
    const [M, N] = [9, 7];
    for (const K of [37, 256, 1024]) {
      const rand = random(K);
      const a = dyadics(M * K, rand);
      const b = dyadics(K * N, rand);
      const expected = matmulReference(a, b, { M, N, K }, 'f16');
      assert.equal(compare(f16MatMul(a, b, M, N, K, K), expected).mismatches, 0, `K=${K}`);
      if (K === 37) assert.ok(compare(f16MatMul(a, b, M, N, K, K - 1), expected).mismatches > 0, 'dropping the last term went unnoticed');
    }
  });
});

describe('capability profile from a report (Node)', { timeout: 300_000 }, () => {
  const adapter = {
    name: 'NVIDIA GeForce RTX 4070',
    vendor: 'nvidia',
    architecture: 'lovelace',
    device: '',
    description: 'NVIDIA GeForce RTX 4070',
    software: false,
    features: ['shader-f16'],
    languageFeatures: [],
    limits: { maxBufferSize: 1, maxStorageBufferBindingSize: 1, maxComputeWorkgroupStorageSize: 1, maxComputeInvocationsPerWorkgroup: 256 },
  };
  const verification = (ok: boolean) => ({
    ok,
    size: { n: 5 },
    elements: 5,
    mismatches: ok ? 0 : 2,
    maxAbsError: ok ? 0 : 1,
    tolerance: 'exact',
  });
  const figure = (kernel: string, unit: 'GFLOPS' | 'GB/s', value: number, ok: boolean) => ({
    status: 'measured' as const,
    kernel,
    unit,
    value,
    best: value,
    size: { n: 5 },
    workPerRun: 1,
    medianMs: 1,
    samples: 1,
    runsPerSample: 1,
    verification: verification(ok),
  });
  const measured = (software: boolean, summary: object, kernels: object[]): WebGpuReport =>
    WebGpuReportSchema.parse({ status: 'measured', measuredAt: 1, durationMs: 1, adapter: { ...adapter, software }, kernels, summary });

  test('figures count with the adapter named; wrong kernels are called out; software and failures fall back', { timeout: 300_000 }, () => {
    const kernels = [figure('matmul-f32', 'GFLOPS', 20_000, true), figure('stream-copy', 'GB/s', 9, false)];
    assert.deepEqual(webGpuProfile(measured(false, { fp32Gflops: 20_000 }, kernels)), {
      basis: 'measured',
      adapter: 'NVIDIA GeForce RTX 4070',
      figures: { fp32Gflops: 20_000 },
      note: 'Measured via WebGPU on NVIDIA GeForce RTX 4070; stream-copy gave wrong results and do not count.',
    });
    assert.equal(webGpuProfile(measured(false, {}, [figure('matmul-f32', 'GFLOPS', 1, false)])).basis, 'unavailable');
    assert.match(webGpuProfile(measured(true, { fp32Gflops: 1 }, kernels)).note, /software WebGPU adapter/);
    const failed = WebGpuReportSchema.parse({
      status: 'failed',
      measuredAt: 1,
      error: { code: 'webgpu-unavailable', message: 'WebGPU not available on this machine: no GPU adapter was offered.' },
    });
    assert.deepEqual(webGpuProfile(failed), {
      basis: 'unavailable',
      note: 'WebGPU not available on this machine: no GPU adapter was offered.',
    });
  });
});

describe('WebGPU in headless Chromium (SwiftShader)', { timeout: 300_000 }, () => {
  let script: string;
  let browser: Browser;
  let gpu: GpuPage;
  let page: Page;

  before(async () => {
    [script, browser] = await Promise.all([runnerScript(), launchBrowser({ webgpu: true })]);
    gpu = await openGpuPage(browser, script);
    page = gpu.page;
  });
  after(async () => {
    await gpu?.close();
    await browser?.close();
  });

  /** Verifies kernel `id` at each size in the page; fails the test with the sizes that did not match. */
  async function verifyAll(id: string, sizes: Record<string, number>[]) {
    const raw = await page.evaluate(
      async ([id, sizes]) => {
        const session = await SynorGpu.openGpu();
        const kernel = SynorGpu.KERNELS.find((k) => k.id === id);
        if (!kernel) throw new Error(`no kernel ${id}`);
        try {
          const out = [];
          for (const size of sizes) out.push(await SynorGpu.verifyKernel(session, kernel, size));
          return out;
        } finally {
          session.device.destroy();
        }
      },
      [id, sizes] as const,
    );
    return raw.map((v) => VerificationSchema.parse(v));
  }

  const MATMUL_SIZES = [
    { M: 1, N: 1, K: 1 },
    { M: 64, N: 64, K: 16 }, // exactly one 64×64 output tile, one K step
    { M: 67, N: 45, K: 37 },
    { M: 130, N: 3, K: 129 },
    { M: 5, N: 200, K: 6 },
  ];
  const VECTOR_SIZES = [1, 255, 257, 300_007, 600_001].map((n) => ({ n })); // 600_001 > 2 grid-stride passes

  test('the adapter is SwiftShader, reported as software, with its features and limits', { timeout: 300_000 }, async () => {
    const adapter = await page.evaluate(async () => {
      const session = await SynorGpu.openGpu();
      session.device.destroy();
      return session.adapter;
    });
    const report = WebGpuReportSchema.parse({ status: 'failed', measuredAt: 1, adapter, error: { code: 'gpu-error', message: '' } });
    assert.ok(report.adapter);
    assert.match(report.adapter.name, /swiftshader/i);
    assert.equal(report.adapter.software, true);
    assert.ok(report.adapter.limits.maxStorageBufferBindingSize >= 128 * 1024 * 1024);
    assert.ok(report.adapter.languageFeatures.includes('packed_4x8_integer_dot_product'));
  });

  test('the bundle carries every kernel of shaders/manifest.json, with its sources', { timeout: 300_000 }, async () => {
    const manifest = JSON.parse(await readFile(join(ROOT, 'shaders/manifest.json'), 'utf8')) as {
      kernels: { id: string; source: string }[];
    };
    const bundled = await page.evaluate(() =>
      SynorGpu.KERNELS.map((k) => ({ id: k.id, source: k.source, parts: k.parts.map((p) => p.name) })),
    );
    assert.deepEqual(
      bundled.map((k) => k.id),
      manifest.kernels.map((k) => k.id),
    );
    for (const kernel of bundled) assert.equal(kernel.parts.at(-1), kernel.source);
  });

  for (const id of ['matmul-f32', 'int8-dot4', 'int8-unpack']) {
    test(`${id} equals the CPU reference at tile multiples and odd sizes`, { timeout: 300_000 }, async () => {
      const results = await verifyAll(id, MATMUL_SIZES);
      for (const [i, r] of results.entries()) {
        const { M, N } = MATMUL_SIZES[i] as { M: number; N: number };
        assert.equal(r.elements, M * N);
        assert.equal(r.mismatches, 0, `${JSON.stringify(r.size)}: ${r.mismatches} mismatches, max error ${r.maxAbsError}`);
        // Inputs are multiples of 1/8 (or integers): every partial sum is exact, so any error at all is a bug.
        assert.equal(r.maxAbsError, 0, JSON.stringify(r.size));
      }
    });
  }

  test('matmul-f16 runs where the adapter has shader-f16; kernels an adapter cannot run say why', { timeout: 300_000 }, async () => {
    const { hasF16, reason, tooWide } = await page.evaluate(async () => {
      const session = await SynorGpu.openGpu();
      session.device.destroy();
      const [f16, f32] = ['matmul-f16', 'matmul-f32'].map((id) => SynorGpu.KERNELS.find((k) => k.id === id) as Kernel);
      const adapter = session.adapter as Session['adapter'] & { limits: object };
      const small = { ...adapter, limits: { ...adapter.limits, maxComputeInvocationsPerWorkgroup: 128 } };
      return {
        hasF16: session.adapter.features.includes('shader-f16'),
        reason: SynorGpu.unsupportedReason(session.adapter, f16 as Kernel),
        tooWide: SynorGpu.unsupportedReason(small, f32 as Kernel),
      };
    });
    assert.equal(tooWide, "its workgroup of 256 invocations is more than this GPU's 128");
    if (hasF16) {
      assert.equal(reason, null);
      for (const r of await verifyAll('matmul-f16', MATMUL_SIZES)) assert.equal(r.mismatches, 0, JSON.stringify(r));
    } else {
      // SwiftShader: no f16. Its shader body is matmul.wgsl, verified above through the f32 prelude.
      assert.equal(reason, 'this GPU lacks the WebGPU feature shader-f16');
    }
  });

  for (const id of ['stream-copy', 'stream-triad', 'reduce-sum']) {
    test(
      `${id} equals the CPU reference for lengths off the workgroup size and past one grid-stride pass`,
      { timeout: 300_000 },
      async () => {
        const results = await verifyAll(id, VECTOR_SIZES);
        for (const [i, r] of results.entries()) {
          const { n } = VECTOR_SIZES[i] as { n: number };
          assert.equal(r.elements, id === 'reduce-sum' ? 1 : n);
          assert.equal(r.mismatches, 0, `n=${n}: ${r.mismatches} mismatches, max error ${r.maxAbsError}`);
          assert.equal(r.maxAbsError, 0, `n=${n}`);
        }
      },
    );
  }

  test('the checks catch broken kernels: edge handling and the last reduction step', { timeout: 300_000 }, async () => {
    const results = await page.evaluate(async () => {
      const session = await SynorGpu.openGpu();
      const mutate = (id: string, from: string, to: string): Kernel => {
        const kernel = SynorGpu.KERNELS.find((k) => k.id === id);
        if (!kernel) throw new Error(`no kernel ${id}`);
        const last = kernel.parts.at(-1);
        if (!last || !last.code.includes(from)) throw new Error(`${id} has no "${from}"`);
        return { ...kernel, parts: [...kernel.parts.slice(0, -1), { ...last, code: last.code.replace(from, to) }] };
      };
      // Rounds the K steps down instead of up: the last, partial tile along K is skipped.
      const floorK = mutate('matmul-f32', 'k0 < dims.K;', 'k0 + BK <= dims.K;');
      // Stops the tree one level early: half the partial sums are dropped.
      const shortTree = mutate('reduce-sum', 'step > 0u', 'step > 1u');
      try {
        return {
          floorKOdd: await SynorGpu.verifyKernel(session, floorK, { M: 67, N: 45, K: 37 }),
          floorKMultiple: await SynorGpu.verifyKernel(session, floorK, { M: 64, N: 64, K: 32 }),
          shortTree: await SynorGpu.verifyKernel(session, shortTree, { n: 1000 }),
        };
      } finally {
        session.device.destroy();
      }
    });
    const odd = VerificationSchema.parse(results.floorKOdd);
    assert.equal(odd.ok, false);
    assert.ok(odd.mismatches > 0);
    assert.equal(VerificationSchema.parse(results.floorKMultiple).ok, true, 'the mutation only shows at odd K');
    assert.equal(VerificationSchema.parse(results.shortTree).ok, false);
  });

  test('a broken shader fails with the compiler message, pointing at its file and line', { timeout: 300_000 }, async () => {
    const error = await page.evaluate(async () => {
      const session = await SynorGpu.openGpu();
      const kernel = SynorGpu.KERNELS.find((k) => k.id === 'stream-triad');
      if (!kernel) throw new Error('no stream-triad');
      const last = kernel.parts.at(-1) as Kernel['parts'][number];
      const lines = last.code.split('\n');
      const line = lines.findIndex((l) => l.includes('dst[i] = a[i] + params.s * b[i];'));
      lines[line] = '    dst[i] = a[i] + params.s * not_declared[i];';
      const broken = { ...kernel, parts: [...kernel.parts.slice(0, -1), { ...last, code: lines.join('\n') }] };
      try {
        await SynorGpu.compile(session, broken);
        return null;
      } catch (e) {
        return { code: (e as { code?: string }).code, message: (e as Error).message, line: line + 1 };
      } finally {
        session.device.destroy();
      }
    });
    assert.ok(error, 'compile accepted a broken shader');
    assert.equal(error.code, 'shader-compile');
    assert.match(error.message, /^Shader stream-triad did not compile:/);
    assert.ok(error.message.includes(`stream.wgsl:${error.line}:`), error.message);
    assert.match(error.message, /unresolved value 'not_declared'/);
  });

  test('a WebGPU validation error comes back as gpu-error in its words, and the device stays usable', { timeout: 300_000 }, async () => {
    const { error, after } = await page.evaluate(async () => {
      const session = await SynorGpu.openGpu();
      const kernel = SynorGpu.KERNELS.find((k) => k.id === 'matmul-f32') as Kernel;
      try {
        // 65 537 workgroups along x: one more than WebGPU's per-dimension limit allows.
        const error = await SynorGpu.verifyKernel(session, kernel, { M: 1, N: 64 * 65_536 + 1, K: 1 }).then(
          () => null,
          (e: { code?: string; message: string }) => ({ code: e.code, message: e.message }),
        );
        return { error, after: await SynorGpu.verifyKernel(session, kernel, { M: 3, N: 5, K: 7 }) };
      } finally {
        session.device.destroy();
      }
    });
    assert.ok(error, 'an over-limit dispatch was accepted');
    assert.equal(error.code, 'gpu-error');
    assert.match(error.message, /^The GPU rejected the dispatch: .*65537/s);
    assert.equal(VerificationSchema.parse(after).ok, true);
  });

  test('a device lost mid-run ends the benchmark with device-lost, as data', { timeout: 300_000 }, async () => {
    const report = await page.evaluate(async () => {
      // navigator.gpu, wrapped only to get hold of the device the runner opens, so the test can destroy it.
      const real = (
        globalThis as unknown as { navigator: { gpu: { wgslLanguageFeatures: unknown; requestAdapter(o?: object): Promise<object> } } }
      ).navigator.gpu;
      let device: { destroy(): void } | undefined;
      const gpu = {
        wgslLanguageFeatures: real.wgslLanguageFeatures,
        async requestAdapter(options?: object) {
          const adapter = (await real.requestAdapter(options)) as Record<string, unknown> & {
            requestDevice(d: object): Promise<{ destroy(): void }>;
          };
          return new Proxy(adapter, {
            get(target, key) {
              if (key === 'requestDevice') return async (d: object) => (device = await target.requestDevice(d));
              const value = target[key as string];
              return typeof value === 'function' ? value.bind(target) : value;
            },
          });
        },
      };
      return SynorGpu.runGpuBenchmark({
        gpu,
        measure: { minRunMs: 1, sampleMs: 5, samples: 2 },
        onProgress: (p: { phase: string }) => {
          if (p.phase === 'measure') device?.destroy();
        },
      });
    });
    const parsed = WebGpuReportSchema.parse(report);
    assert.equal(parsed.status, 'failed');
    assert.equal(parsed.error.code, 'device-lost');
    assert.match(parsed.error.message, /The GPU device was lost \(destroyed\)/);
    assert.ok(parsed.adapter, 'the adapter it was lost on is still reported');
  });

  test('the whole benchmark: every supported kernel verified and measured, figures in the summary', { timeout: 300_000 }, async () => {
    const { report, progress } = await page.evaluate(async () => {
      const progress: string[] = [];
      const report = await SynorGpu.runGpuBenchmark({
        measure: { minRunMs: 1, sampleMs: 5, samples: 2 },
        onProgress: (p: { kernel: string; phase: string }) => progress.push(`${p.kernel}:${p.phase}`),
      });
      return { report, progress };
    });
    const parsed = WebGpuReportSchema.parse(report);
    assert.equal(parsed.status, 'measured', JSON.stringify(report));
    assert.equal(parsed.adapter.software, true);
    const hasF16 = parsed.adapter.features.includes('shader-f16');
    const measured = parsed.kernels.filter((k) => k.status === 'measured');
    assert.deepEqual(
      measured.map((k) => k.kernel),
      [
        ...(hasF16 ? ['matmul-f32', 'matmul-f16'] : ['matmul-f32']),
        'int8-dot4',
        'int8-unpack',
        'stream-copy',
        'stream-triad',
        'reduce-sum',
      ],
    );
    assert.deepEqual(
      progress,
      measured.flatMap((k) => [`${k.kernel}:verify`, `${k.kernel}:measure`]),
    );
    for (const k of measured) {
      KernelResultSchema.parse(k);
      assert.equal(k.verification.ok, true, k.kernel);
      assert.ok(k.value > 0 && k.best >= k.value, `${k.kernel}: ${k.value} ${k.unit}, best ${k.best}`);
    }
    const { summary } = parsed;
    assert.ok(summary.fp32Gflops && summary.int8Tops && summary.memoryBandwidthGBs, JSON.stringify(summary));
    assert.equal(summary.fp16Gflops !== undefined, hasF16);
    assert.equal(webGpuProfile(parsed).basis, 'unavailable', 'SwiftShader figures must not enter the GPU profile');
  });
});

test(
  'without --enable-unsafe-webgpu there is no adapter: "WebGPU not available on this machine", as data',
  { timeout: 300_000 },
  async () => {
    const [script, browser] = await Promise.all([runnerScript(), launchBrowser()]);
    const gpu = await openGpuPage(browser, script);
    try {
      const report = WebGpuReportSchema.parse(await gpu.page.evaluate(() => SynorGpu.runGpuBenchmark()));
      assert.equal(report.status, 'failed');
      assert.equal(report.error.code, 'webgpu-unavailable');
      assert.match(report.error.message, /^WebGPU not available on this machine: /);
      assert.equal(report.adapter, undefined);
    } finally {
      await gpu.close();
      await browser.close();
    }
  },
);
