// Hardware detection and benchmark cost. Cold start of detection as a user types it, `node scripts/detect.mjs`
// (the compiled dist/main/detect.js, probe child included) and `npm run detect` (the same, after npm's own start),
// beside a bare `node -e 0` in the same run, each against the goal of ≤ 500 ms. Warm detection: native addon vs the
// JS fallback vs a plain systeminformation pass over the same facts (cpu, flags, memory, graphics), all in this run.
// Goal: native ≤50 ms and ≥5× faster than systeminformation. Then the CPU benchmark's duration and spread.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import si from 'systeminformation';
import { measureCpu } from '../../main/core/hardware/benchmark.js';
import type { CpuMeasurement } from '../../main/core/hardware/classify.js';
import { createFallbackProbe } from '../../main/core/hardware/fallback-probe.js';
import { createNativeProbe } from '../../main/core/hardware/native-probe.js';
import { fakeMachine, requireAddon, ROOT } from '../fixtures/hardware/machine.js';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 20);
const COLD_RUNS = Number(process.env['BENCH_COLD_RUNS'] ?? 10);
const BENCHMARK_RUNS = Number(process.env['BENCH_BENCHMARK_RUNS'] ?? 5);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const cv = (xs: number[]) => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2))) / mean(xs);

async function timed(fn: () => Promise<unknown>): Promise<{ median: number; max: number }> {
  await fn(); // warm: modules loaded, libraries opened, caches filled
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return { median: median(times), max: Math.max(...times) };
}

/** Wall time of whole processes, the commands taking turns so both see the same load; median and min. */
function coldStarts(commands: Record<string, [string, string[]]>): Record<string, { median: number; min: number }> {
  const times = Object.fromEntries(Object.keys(commands).map((name) => [name, [] as number[]]));
  for (let i = 0; i < COLD_RUNS; i++) {
    for (const [name, [command, args]] of Object.entries(commands)) {
      const t0 = performance.now();
      const run = spawnSync(command, args, { cwd: ROOT, stdio: 'ignore' });
      times[name]!.push(performance.now() - t0);
      if (run.status !== 0) throw new Error(`${name} exited with ${run.status}`);
    }
  }
  return Object.fromEntries(Object.entries(times).map(([name, xs]) => [name, { median: median(xs), min: Math.min(...xs) }]));
}

// scripts/detect.mjs is what `npm run detect` runs (it builds dist/ only where missing; `npm run bench` just built it).
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const DIRECT = 'node scripts/detect.mjs';
const NPM = 'npm run detect';
const cold = coldStarts({
  'node -e 0 (baseline)': [process.execPath, ['-e', '0']],
  [DIRECT]: [process.execPath, [join(ROOT, 'scripts', 'detect.mjs')]],
  [NPM]: [npm, ['run', '--silent', 'detect']],
});
console.log(`cold start, median of ${COLD_RUNS} runs (min in brackets):`);
for (const [name, r] of Object.entries(cold))
  console.log(`  ${name.padEnd(30)} ${r.median.toFixed(0).padStart(6)} ms (${r.min.toFixed(0)})`);
for (const [name, note] of [
  [DIRECT, 'the direct way'],
  [NPM, "npm's own start included"],
] as const) {
  const ms = cold[name]!.median;
  // Above bare Node: what detection itself costs, which a loaded machine inflates less than the total.
  const above = ms - cold['node -e 0 (baseline)']!.median;
  console.log(
    `goal detect cold ≤500 ms, ${name} (${note}): ${ms.toFixed(0)} ms, ${above.toFixed(0)} ms above node -e 0 → ${ms <= 500 ? 'met' : 'NOT met'}`,
  );
}

const { addon, provider } = requireAddon();
const native = createNativeProbe(addon, provider);
const fallback = createFallbackProbe({ kind: 'fallback', reason: 'bench' });
// The same facts the probes report, asked of systeminformation directly.
const systeminformation = () => Promise.all([si.cpu(), si.cpuFlags(), si.mem(), si.graphics()]);

const rows = {
  'systeminformation (baseline)': await timed(systeminformation),
  'JS fallback probe': await timed(() => fallback.detect()),
  'native addon probe': await timed(() => native.detect()),
};
const base = rows['systeminformation (baseline)'].median;
console.log(`warm detection, median of ${RUNS} runs (max in brackets):`);
for (const [name, r] of Object.entries(rows)) {
  console.log(
    `  ${name.padEnd(30)} ${r.median.toFixed(2).padStart(8)} ms (${r.max.toFixed(2)})   ${(base / r.median).toFixed(1)}× faster than systeminformation`,
  );
}
const nativeMs = rows['native addon probe'].median;
const ratio = base / nativeMs;
console.log(
  `goal native ≤50 ms and ≥5×: ${nativeMs.toFixed(2)} ms, ${ratio.toFixed(1)}× → ${nativeMs <= 50 && ratio >= 5 ? 'met' : 'NOT met'}`,
);

// With GPUs: the fake NVML/ROCm libraries (4 GPUs) for the addon, the fake nvidia-smi/rocm-smi for the fallback.
const machine = await fakeMachine('dual-a5000-590', 'mi100-rocm571');
const withGpus = {
  'JS fallback, 4 fake GPUs': await timed(() =>
    createFallbackProbe({ kind: 'fallback', reason: 'bench' }, { env: machine.env, sysRoot: machine.sysRoot }).detect(),
  ),
  'native addon, 4 fake GPUs': await timed(() => createNativeProbe(addon, provider, machine).detect()),
};
const [cli, lib] = Object.values(withGpus);
console.log(`with GPUs (vendor tools are processes, the addon calls the libraries in-process):`);
for (const [name, r] of Object.entries(withGpus))
  console.log(`  ${name.padEnd(30)} ${r.median.toFixed(2).padStart(8)} ms (${r.max.toFixed(2)})`);
console.log(`  native vs fallback ${(cli!.median / lib!.median).toFixed(1)}× faster`);

const results: (CpuMeasurement & { ms: number })[] = [];
for (let i = 0; i < BENCHMARK_RUNS; i++) {
  const t0 = performance.now();
  const r = await measureCpu();
  results.push({ ...r, ms: performance.now() - t0 });
}
const column = (key: keyof (typeof results)[number]) => results.map((r) => r[key]);
console.log(`CPU benchmark, ${BENCHMARK_RUNS} runs (mean, coefficient of variation):`);
console.log(`  duration        ${mean(column('ms')).toFixed(0)} ms   cv ${(100 * cv(column('ms'))).toFixed(1)} %`);
console.log(`  fp32 MatMul     ${mean(column('fp32Gflops')).toFixed(1)} GFLOPS   cv ${(100 * cv(column('fp32Gflops'))).toFixed(1)} %`);
console.log(`  int8 MatMulInt  ${mean(column('int8Tops')).toFixed(3)} TOPS   cv ${(100 * cv(column('int8Tops'))).toFixed(1)} %`);
console.log(
  `  memory copy     ${mean(column('memoryBandwidthGbps')).toFixed(1)} GB/s   cv ${(100 * cv(column('memoryBandwidthGbps'))).toFixed(1)} %`,
);
console.log(`  int8 / fp32 throughput ratio ${((1000 * mean(column('int8Tops'))) / mean(column('fp32Gflops'))).toFixed(2)}`);
