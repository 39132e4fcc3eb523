// Idle agent cost: CPU (% of one core) and RSS of the headless agent over a window, sharing off and sharing on
// with no work, beside a bare Node process measured in the same window as the baseline. Goal: ≤0.1 % core, ≤60 MB.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { once } from 'node:events';
import { setTimeout as wait } from 'node:timers/promises';
import { tempDir } from '../helpers/fakes.js';
import { rpc, startHeadless } from '../helpers/headless.js';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 60);
/**
 * CPU time of every thread of the process from /proc/<pid>/task/<tid>/schedstat (nanoseconds): utime/stime come
 * in 10 ms ticks and charge a whole tick to a process that merely woke up when it landed, which swamps an idle cost.
 */
function usage(pid: number) {
  let cpuNs = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    cpuNs += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
  }
  const rssKb = Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)?.[1]);
  return { cpuMs: cpuNs / 1e6, rssMb: rssKb / 1024 };
}

if (process.platform !== 'linux') {
  console.log('agent-idle bench: reads /proc, Linux only; skipped');
  process.exit(0);
}

const off = await startHeadless(await tempDir());
const on = await startHeadless(await tempDir());
await rpc(on, 'updateSettings', { sharing: true, idleOnly: { enabled: false, minutes: 10 } });
const bare = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e9)']);
await once(bare, 'spawn');

// Start-up work is not idle cost: let every process settle, then measure.
await wait(10_000);
const processes = { 'bare node (baseline)': bare.pid!, 'agent, sharing off': off.child.pid!, 'agent, sharing on, no work': on.child.pid! };
const start = Object.fromEntries(Object.entries(processes).map(([name, pid]) => [name, usage(pid)]));
await wait(SECONDS * 1000);
const rows = Object.entries(processes).map(([name, pid]) => {
  const end = usage(pid);
  return { name, cpuPercent: (100 * (end.cpuMs - start[name]!.cpuMs)) / (SECONDS * 1000), rssMb: end.rssMb };
});
const base = rows[0]!;
console.log(`idle cost over ${SECONDS} s (CPU time of all threads, from schedstat):`);
for (const row of rows) {
  console.log(
    `  ${row.name.padEnd(28)} CPU ${row.cpuPercent.toFixed(3)} % of a core   RSS ${row.rssMb.toFixed(1)} MB   RSS ratio vs bare node ${(row.rssMb / base.rssMb).toFixed(2)}`,
  );
}
const worst = rows.slice(1).reduce((a, b) => (b.cpuPercent > a.cpuPercent ? b : a));
console.log(
  `goal ≤0.1 % core and ≤60 MB: worst ${worst.cpuPercent.toFixed(3)} % (${worst.name}), max RSS ${Math.max(...rows.slice(1).map((r) => r.rssMb)).toFixed(1)} MB`,
);
bare.kill();
await Promise.all([off.stop(), on.stop()]);
