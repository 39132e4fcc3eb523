// Idle cost of the whole app: CPU (% of one core) and RSS of the headless agent and of every process it started (the
// embedded devnet's coordinator and chain), sharing off and sharing on with no work (no wallet yet, so nothing is
// leased), beside a bare Node process measured in the same window as the baseline. The window opens once start-up is
// over (hardware detected and its benchmark done). Goal for the agent itself: ≤0.1 % core, ≤60 MB.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { setTimeout as wait } from 'node:timers/promises';
import { tempDir } from '../helpers/fakes.js';
import type { AgentState } from '../../main/common/state.js';
import { rpc, startHeadless, type Headless } from '../helpers/headless.js';
import { cpuNs } from '../helpers/thread-cpu.js';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 60);
/** CPU time of every thread of the process (schedstat: an idle cost is too small for 10 ms ticks), and its RSS. */
function usage(pid: number) {
  const rssKb = Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)?.[1]);
  return { cpuMs: cpuNs(pid) / 1e6, rssMb: rssKb / 1024 };
}

if (process.platform !== 'linux') {
  console.log('agent-idle bench: reads /proc, Linux only; skipped');
  process.exit(0);
}

/** The process's children, grandchildren…, each with a short name from its command line. */
function descendants(pid: number): { pid: number; name: string }[] {
  const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  return kids.flatMap((kid) => {
    const argv = readFileSync(`/proc/${kid}/cmdline`, 'utf8').split('\0');
    // The chain first: its arguments name the devnet's folder too, and two processes with one name would count as one.
    const name = argv[0]!.includes('anvil')
      ? 'devnet chain (anvil)'
      : argv.some((a) => a.includes('devnet'))
        ? 'devnet coordinator'
        : argv.slice(0, 2).join(' ');
    return [{ pid: kid, name }, ...descendants(kid)];
  });
}

/** Start-up is not idle cost: hardware detection and the first-start benchmark are over, and the devnet is up. */
async function settled(agent: Headless): Promise<void> {
  for (;;) {
    const state = ((await rpc(agent, 'getState')) as { value: AgentState }).value;
    const profile = state.hardware?.profile.state;
    if (profile && profile !== 'running' && profile !== 'stale' && state.work.blocker !== 'Detecting your hardware…') return;
    await wait(500);
  }
}

const off = await startHeadless(await tempDir());
const on = await startHeadless(await tempDir());
await rpc(on, 'updateSettings', { sharing: true, idleOnly: { enabled: false, minutes: 10 } });
const bare = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e9)']);
await once(bare, 'spawn');
await Promise.all([settled(off), settled(on)]);
const processes: Record<string, number> = {
  'bare node (baseline)': bare.pid!,
  'agent, sharing off': off.child.pid!,
  'agent, sharing on, no work': on.child.pid!,
};
for (const [agent, label] of [
  [off, 'off'],
  [on, 'on'],
] as const) {
  for (const child of descendants(agent.child.pid!)) processes[`  ${child.name} (sharing ${label})`] = child.pid;
}
const snapshot = () => Object.fromEntries(Object.entries(processes).map(([name, pid]) => [name, usage(pid)]));

/** CPU of each process between two snapshots, and its RSS at the second. */
function report(title: string, from: ReturnType<typeof snapshot>, to: ReturnType<typeof snapshot>, ms: number) {
  const rows = Object.keys(processes).map((name) => ({
    name,
    cpuPercent: (100 * (to[name]!.cpuMs - from[name]!.cpuMs)) / ms,
    rssMb: to[name]!.rssMb,
  }));
  const base = rows[0]!;
  console.log(`${title} (${(ms / 1000).toFixed(0)} s; CPU time of all threads, from schedstat):`);
  for (const row of rows) {
    console.log(
      `  ${row.name.padEnd(34)} CPU ${row.cpuPercent.toFixed(3)} % of a core   RSS ${row.rssMb.toFixed(1)} MB   RSS ratio vs bare node ${(row.rssMb / base.rssMb).toFixed(2)}`,
    );
  }
  for (const label of ['off', 'on']) {
    const all = rows.filter((row) => row.name.includes(`sharing ${label}`));
    console.log(
      `  whole app, sharing ${label}: CPU ${all.reduce((n, r) => n + r.cpuPercent, 0).toFixed(3)} % of a core, RSS ${all.reduce((n, r) => n + r.rssMb, 0).toFixed(1)} MB in ${all.length} processes`,
    );
  }
  return rows.filter((row) => row.name.startsWith('agent'));
}

// Two windows: the half minute after start-up (V8 still compiles and collects what starting left behind), then the
// steady state a task manager shows from then on, which the goal is about.
const SETTLING_MS = 30_000;
const s0 = snapshot();
await wait(SETTLING_MS);
const s1 = snapshot();
await wait(SECONDS * 1000);
const s2 = snapshot();
report('the first half minute after start-up', s0, s1, SETTLING_MS);
const agents = report('idle, steady', s1, s2, SECONDS * 1000);
const worst = agents.reduce((a, b) => (b.cpuPercent > a.cpuPercent ? b : a));
const maxRss = Math.max(...agents.map((r) => r.rssMb));
console.log(
  `agent goal ≤0.1 % core: worst ${worst.cpuPercent.toFixed(3)} % (${worst.name}) ${worst.cpuPercent <= 0.1 ? 'met' : 'NOT met'}; ≤60 MB: max RSS ${maxRss.toFixed(1)} MB ${maxRss <= 60 ? 'met' : 'NOT met'}`,
);
bare.kill();
await Promise.all([off.stop(), on.stop()]);
