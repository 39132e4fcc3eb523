// WebGPU kernels in headless Chromium: the runner's figures (GFLOPS, TOPS, GB/s) with the adapter they were
// measured on, against a baseline measured in the same page and run: the CPU reference (JavaScript, float64,
// one thread) doing the same work. Here the adapter is SwiftShader (WebGPU on the CPU), so the ratio says how
// SwiftShader compares with plain JavaScript on this machine, nothing about a GPU.
import { KernelResultSchema, WebGpuReportSchema, webGpuProfile } from '../../main/common/webgpu.js';
import { launchBrowser } from '../helpers/browser.js';
import { bundleGpuRunner, openGpuPage } from '../helpers/webgpu.js';

interface GpuApi {
  KERNELS: { id: string; kind: string }[];
  LADDERS: Record<string, Record<string, number>[]>;
  runGpuBenchmark(): Promise<unknown>;
  problemFor(kernel: object, size: Record<string, number>): { work: number; expected(): unknown };
}
declare const SynorGpu: GpuApi;

/** The CPU reference of 2^30 operations takes seconds in JavaScript; bigger GPU sizes are compared per unit of work. */
const CPU_WORK_CAP = 2 ** 30;

const [script, browser] = await Promise.all([bundleGpuRunner(), launchBrowser({ webgpu: true })]);
const gpu = await openGpuPage(browser, script);
try {
  const report = WebGpuReportSchema.parse(await gpu.page.evaluate(() => SynorGpu.runGpuBenchmark()));
  if (report.status === 'failed') throw new Error(`${report.error.code}: ${report.error.message}`);
  const { adapter } = report;
  const label = adapter.software ? `${adapter.name} — software WebGPU on the CPU, not a GPU figure` : adapter.name;
  console.log(`adapter: ${label}`);
  console.log(
    `  vendor=${adapter.vendor} architecture=${adapter.architecture} device=${adapter.device || '-'} description=${adapter.description || '-'}`,
  );
  console.log(
    `  shader-f16=${adapter.features.includes('shader-f16')} dot4I8Packed=${adapter.languageFeatures.includes('packed_4x8_integer_dot_product')}`,
  );
  console.log(`benchmark took ${(report.durationMs / 1000).toFixed(1)} s\n`);

  const rows: string[][] = [['kernel', 'size', 'WebGPU (median)', 'best', 'verified', 'CPU reference', 'WebGPU / CPU']];
  for (const result of report.kernels) {
    if (result.status === 'unsupported') {
      rows.push([result.kernel, '-', `unsupported: ${result.reason}`, '', '', '', '']);
      continue;
    }
    const r = KernelResultSchema.parse(result);
    if (r.status !== 'measured') continue;
    const cpu = await gpu.page.evaluate(
      async ([id, size, cap]) => {
        const kernel = SynorGpu.KERNELS.find((k) => k.id === id);
        if (!kernel) throw new Error(`no kernel ${id}`);
        const measured = SynorGpu.problemFor(kernel, size);
        const problem = measured.work <= cap ? measured : SynorGpu.problemFor(kernel, SynorGpu.LADDERS[kernel.kind]![0]!);
        let best = Infinity;
        for (let i = 0; i < 3; i++) {
          const start = performance.now();
          problem.expected();
          best = Math.min(best, performance.now() - start);
        }
        return { ms: best, work: problem.work };
      },
      [r.kernel, r.size, CPU_WORK_CAP] as const,
    );
    const scale = r.unit === 'TOPS' ? 1e9 : 1e6;
    const cpuFigure = cpu.work / cpu.ms / scale;
    const fmt = (v: number) => `${v.toPrecision(3)} ${r.unit}`;
    rows.push([
      r.kernel,
      Object.entries(r.size)
        .map(([k, v]) => `${k}=${v}`)
        .join(' '),
      `${fmt(r.value)} (${r.medianMs.toFixed(2)} ms × ${r.runsPerSample} × ${r.samples})`,
      fmt(r.best),
      r.verification.ok ? `yes (max err ${r.verification.maxAbsError})` : `NO: ${r.verification.mismatches} mismatches`,
      fmt(cpuFigure),
      `${(r.value / cpuFigure).toFixed(2)}×`,
    ]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => (row[c] ?? '').length)));
  for (const row of rows) console.log(row.map((cell, c) => cell.padEnd(widths[c]!)).join('  '));
  console.log(`\nsummary (verified kernels only): ${JSON.stringify(report.summary)}`);
  console.log(`capability profile: ${JSON.stringify(webGpuProfile(report))}`);
  if (report.kernels.some((k) => k.status === 'measured' && !k.verification.ok)) process.exitCode = 1;
} finally {
  await gpu.close();
  await browser.close();
}
