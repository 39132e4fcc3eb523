// Enforcement: CPU-share accuracy at 25/50/75% (ours vs Debian's cpulimit on the same job, same run), give-back
// latency (a decision with run:false → job stopped, checked on the job's own CPU progress) and the idle cost of a warm
// scheduler. Linux only (/proc). Run: node scripts/bench.mjs enforcement
import { cpus, loadavg, setPriority } from 'node:os';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { seededFloats } from '../../main/core/onnx/onnx-model.js';
import { cpuMs, isStopped, rssBytes } from '../../main/core/runtime/process-control.js';
import { tempDir } from '../helpers/fakes.js';
import { slowModel } from '../helpers/slow-model.js';
import { cpuNs } from '../helpers/thread-cpu.js';
import { fixtureHost, matmulTask, ModelServer, decided, running, runtimeWithHost, testScheduler } from '../helpers/runtime-fixtures.js';

if (process.platform !== 'linux') {
  console.log('enforcement bench: needs Linux /proc; skipped');
  process.exit(0);
}
// Shared cores: say how busy the machine was, since every figure below depends on it.
console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} on ${cpus().length} cores`,
);
const hasCpulimit = spawnSync('cpulimit', ['--help']).error === undefined;
const server = await new ModelServer().start();
const model = server.add('busy', slowModel(32));
const x = seededFloats(1024 * 512, 5);
const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A scheduler kept busy: a new task is offered whenever one completes, so the job never runs dry. */
async function busyJob(dutyCycle: number): Promise<{ t: Awaited<ReturnType<typeof testScheduler>>; pid: number; stop(): Promise<void> }> {
  const t = await testScheduler();
  t.scheduler.apply(decided('cpu', running({ dutyCycle })));
  let stopped = false;
  const feed = (): void => {
    const task = matmulTask(model, x, [1024, 512]);
    t.source.offer(task);
    void t.outcome(task.id).then(() => stopped || feed());
  };
  for (let i = 0; i < 3; i++) feed();
  await new Promise<void>((r) => {
    const off = t.scheduler.onChange(() => t.scheduler.snapshot().tasks.some((k) => k.state === 'running') && (off(), r()));
  });
  return {
    t,
    pid: t.scheduler.snapshot().lanes[0]!.pids[0]!,
    stop: async () => {
      stopped = true;
      await t.scheduler.close();
    },
  };
}

async function share(pid: number, ms: number): Promise<number> {
  const c0 = cpuMs(pid)!;
  const t0 = performance.now();
  await wait(ms);
  return (cpuMs(pid)! - c0) / (performance.now() - t0);
}

// 1. CPU share accuracy.
const WINDOW = 6000;
console.log(`CPU share of a busy single-thread job over ${WINDOW / 1000} s (target → measured, error in points):`);
const errors: { ours: number; cpulimit: number }[] = [];
for (const target of [0.25, 0.5, 0.75]) {
  const ours = await busyJob(target);
  await wait(500); // let the meter settle
  const measured = await share(ours.pid, WINDOW);
  await ours.stop();
  let limited = NaN;
  if (hasCpulimit) {
    const free = await busyJob(1);
    const limiter = spawn('cpulimit', ['-p', String(free.pid), '-l', String(target * 100)], { stdio: 'ignore' });
    await wait(500);
    limited = await share(free.pid, WINDOW);
    limiter.kill('SIGTERM'); // cpulimit continues the process on SIGTERM
    await free.stop();
  }
  const e = { ours: Math.abs(measured - target) * 100, cpulimit: Math.abs(limited - target) * 100 };
  errors.push(e);
  console.log(
    `  ${target * 100}%: ours ${(measured * 100).toFixed(1)}% (error ${e.ours.toFixed(1)}), cpulimit ${(limited * 100).toFixed(1)}% (error ${e.cpulimit.toFixed(1)})`,
  );
}
const worst = Math.max(...errors.map((e) => e.ours));
console.log(
  `  worst error: ours ${worst.toFixed(1)} points (goal <= 2), cpulimit ${Math.max(...errors.map((e) => e.cpulimit)).toFixed(1)}; ours no worse than cpulimit at ${errors.filter((e) => e.ours <= e.cpulimit + 0.05).length}/3 targets`,
);

// 2. Give-back latency: the job's own progress is its threads' time on CPU (/proc/<pid>/task/*/schedstat, ns).
const progress = cpuNs;
// The sampling loop below is the observer: when the OS lets us (root), it runs at nice -10 so that its own
// scheduling delays on the shared cores are not counted as latency. The agent's stop itself is synchronous.
const observerRaised = (() => {
  try {
    setPriority(-10);
    return true;
  } catch {
    return false;
  }
})();
const job = await busyJob(1);
const latencies: number[] = [];
const ranAfter: number[] = [];
let notYetT = 0;
let disturbed = 0;
while (latencies.length < 200) {
  const before = progress(job.pid);
  while (progress(job.pid) === before) await wait(1); // running again, making progress
  const tRead = performance.now();
  const atSignal = progress(job.pid);
  const t0 = performance.now();
  job.t.scheduler.apply(decided('cpu', running({ run: false })));
  const tSent = performance.now();
  // Sample until the counter has not moved for 20 ms; the stop time is when it first showed its final value.
  let last = progress(job.pid);
  let lastChange = performance.now();
  while (performance.now() - lastChange < 20) {
    const p = progress(job.pid);
    if (p !== last) {
      last = p;
      lastChange = performance.now();
    }
  }
  // A runnable thread the CPU has not reached yet stays 'R' until it runs, and then stops before doing any work.
  if (isStopped(job.pid) !== true) notYetT++;
  job.t.scheduler.apply(decided('cpu', running()));
  // The observer itself was descheduled between reading the counter and sending the stop: the job legitimately ran
  // meanwhile, so this trial measures the machine, not the stop. Repeat it (and say how often).
  if (tSent - tRead > 2) {
    disturbed++;
    continue;
  }
  latencies.push(lastChange - t0);
  ranAfter.push((last - atSignal) / 1e6);
}
const pct = (values: number[], p: number): string => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!.toFixed(2);
};
console.log(
  `give-back latency over ${latencies.length} trials (signal → job's CPU progress counter frozen, observer at ${observerRaised ? 'nice -10' : 'normal priority'}): p50 ${pct(latencies, 0.5)} ms, p99 ${pct(latencies, 0.99)} ms (goal p99 <= 50 ms)`,
);
console.log(
  `  job CPU time spent after the signal: p50 ${pct(ranAfter, 0.5)} ms, p99 ${pct(ranAfter, 0.99)} ms, max ${pct(ranAfter, 1)} ms; main thread not yet in state T 20 ms after: ${notYetT}/${200 + disturbed}; trials repeated because the observer was descheduled around the signal: ${disturbed}`,
);
await job.stop();
if (observerRaised) setPriority(0);

// 2b. Give-back latency on the job's own progress counter: a stand-in job host (test/fixtures/models/busy-host.ts)
// writes (count, monotonic time) to a file as it counts; the real scheduler stops it. Latency = the job's last
// progress write after the signal (0 if it never wrote again).
{
  const progressFile = join(await tempDir('synor-busy-'), 'progress');
  process.env['SYNOR_BUSY_PROGRESS'] = progressFile;
  const t = await testScheduler({ runtime: await runtimeWithHost(fixtureHost('busy-host')) });
  t.scheduler.apply(decided('cpu', running()));
  t.source.offer(matmulTask(model, seededFloats(512, 1), [1, 512]));
  const record = Buffer.alloc(16);
  const read = (): { n: bigint; at: bigint } => {
    const fd = openSync(progressFile, 'r');
    readSync(fd, record, 0, 16, 0);
    closeSync(fd);
    return { n: record.readBigUInt64LE(0), at: record.readBigUInt64LE(8) };
  };
  while (!existsSync(progressFile) || read().n === 0n) await wait(5);
  const own: number[] = [];
  const kernelAfter: number[] = []; // the same stops seen through the kernel's per-thread CPU counters
  let notStoppedAfter20 = 0;
  for (let trial = 0; trial < 300; trial++) {
    const before = read().n;
    while (read().n === before) await wait(1); // counting again
    const pid = t.scheduler.snapshot().lanes[0]!.pids[0]!;
    const kernelBefore = progress(pid);
    const signal = process.hrtime.bigint();
    t.scheduler.apply(decided('cpu', running({ run: false })));
    let last = read();
    let quietSince = performance.now();
    while (performance.now() - quietSince < 20) {
      const now = read();
      if (now.n !== last.n) {
        last = now;
        quietSince = performance.now();
      }
    }
    if (isStopped(t.scheduler.snapshot().lanes[0]!.pids[0]!) !== true) notStoppedAfter20++;
    own.push(Math.max(0, Number(last.at - signal) / 1e6));
    kernelAfter.push((progress(pid) - kernelBefore) / 1e6);
    t.scheduler.apply(decided('cpu', running()));
  }
  console.log(
    `give-back latency on the job's own progress counter, ${own.length} trials (signal → its last progress write): p50 ${pct(own, 0.5)} ms, p99 ${pct(own, 0.99)} ms, max ${pct(own, 1)} ms (goal p99 <= 50 ms); not in state T 20 ms after: ${notStoppedAfter20}`,
  );
  console.log(
    `  same stops through the kernel's per-thread CPU counters (schedstat): "CPU after the signal" p50 ${pct(kernelAfter, 0.5)} ms, p99 ${pct(kernelAfter, 0.99)} ms, max ${pct(kernelAfter, 1)} ms`,
  );
  await t.scheduler.close();
}

// 3. Idle cost: scheduler with a warm (idle) job host and nothing to do, 20 s after its last job.
{
  const t = await testScheduler();
  t.scheduler.apply(decided('cpu', running()));
  const task = matmulTask(model, seededFloats(512, 1), [1, 512]);
  t.source.offer(task);
  await t.outcome(task.id);
  const pid = t.scheduler.snapshot().lanes[0]!.pids[0]!;
  // V8's memory reducer runs a few GCs in both processes for ~10 s after a job's large allocations: steady state after.
  await wait(20_000);
  const agent0 = process.cpuUsage();
  const host0 = cpuMs(pid)!;
  const t0 = performance.now();
  await wait(10_000);
  const wall = performance.now() - t0;
  const agentCpu = process.cpuUsage(agent0);
  console.log(
    `idle over ${(wall / 1000).toFixed(0)} s: scheduler ${(((agentCpu.user + agentCpu.system) / 1000 / wall) * 100).toFixed(3)}% of a core (whole bench process), warm job host ${(((cpuMs(pid)! - host0) / wall) * 100).toFixed(2)}% and ${((rssBytes(pid) ?? 0) / 1024 ** 2).toFixed(0)} MiB RSS`,
  );
  await t.scheduler.close();
}
await server.close();
