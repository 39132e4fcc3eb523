// Idle cost of the whole app: CPU (% of one core) and RSS of the headless agent and of every process it started (the
// embedded devnet's coordinator and chain while they run), for three default apps: sharing off with no wallet,
// sharing on with no wallet (so nothing is leased), and a wallet with sharing off (the devnet rests once nothing
// needs it). A bare Node process measured in the same window is the baseline. The window opens once start-up is over
// (hardware detected, its benchmark done). Goals (issue 32): the whole app ≤ 120 MB and ≤ 0.2 % of a core; the agent
// ≤ 60 MB, ≤ 0.1 % steady and ≤ 0.3 % in the first half minute. BENCH_BUILD=<folder> measures another build (an
// older dist copied aside, for a before and after in one run); BENCH_SECONDS the steady window (60).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { once } from 'node:events';
import { setTimeout as wait } from 'node:timers/promises';
import { tempDir } from '../helpers/fakes.js';
import type { AgentState } from '../../main/common/state.js';
import { rpc, startHeadless, type Headless } from '../helpers/headless.js';
import { cpuNs } from '../helpers/thread-cpu.js';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 60);
const BUILD = process.env['BENCH_BUILD'] ?? 'dist';

if (process.platform !== 'linux') {
  console.log('agent-idle bench: reads /proc, Linux only; skipped');
  process.exit(0);
}

/** CPU time of every thread of the process (schedstat: an idle cost is too small for 10 ms ticks), and its RSS; null once gone. */
function usage(pid: number): { cpuMs: number; rssMb: number } | null {
  try {
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
    return { cpuMs: cpuNs(pid) / 1e6, rssMb: rssKb / 1024 };
  } catch {
    return null; // a child that ended (the hardware probe's, a job host): not part of the idle app
  }
}

/** The process's children, grandchildren…, each with a short name from its command line. */
function descendants(pid: number): { pid: number; name: string }[] {
  let kids: number[];
  try {
    kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
  return kids.flatMap((kid) => {
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${kid}/cmdline`, 'utf8').split('\0');
    } catch {
      return [];
    }
    // The chain first: its arguments name the devnet's folder too, and two processes with one name would count as one.
    const name = argv[0]!.includes('anvil')
      ? 'devnet chain (anvil)'
      : argv.some((a) => a.includes('devnet'))
        ? 'devnet coordinator'
        : argv.slice(0, 2).join(' ');
    return [{ pid: kid, name }, ...descendants(kid)];
  });
}

/** Start-up is not idle cost: hardware detection and the first-start benchmark are over. */
async function settled(agent: Headless): Promise<void> {
  for (;;) {
    const state = ((await rpc(agent, 'getState')) as { value: AgentState }).value;
    const profile = state.hardware?.profile.state;
    if (profile && profile !== 'running' && profile !== 'stale' && state.work.blocker !== 'Detecting your hardware…') return;
    await wait(500);
  }
}

const start = (home: string) => startHeadless(home, [`${BUILD}/main/headless.js`, '--port', '0']);
const apps: Record<string, Headless> = {
  'sharing off': await start(await tempDir()),
  'sharing on, no wallet': await start(await tempDir()),
  'wallet, sharing off': await start(await tempDir()),
};
await rpc(apps['sharing on, no wallet']!, 'updateSettings', { sharing: true, idleOnly: { enabled: false, minutes: 10 } });
await rpc(apps['wallet, sharing off']!, 'walletCreate', { passphrase: 'correct horse battery staple' });
const bare = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e9)']);
await once(bare, 'spawn');
await Promise.all(Object.values(apps).map(settled));

type Reading = Map<string, { pid: number; app: string | null; cpuMs: number; rssMb: number }>;
/** Every process of every app now (found anew each time: the devnet comes and goes), and the baseline. */
function snapshot(): Reading {
  const out: Reading = new Map();
  const add = (name: string, pid: number, app: string | null): void => {
    const u = usage(pid);
    if (u) out.set(name, { pid, app, ...u });
  };
  add('bare node (baseline)', bare.pid!, null);
  for (const [app, agent] of Object.entries(apps)) {
    add(`agent (${app})`, agent.child.pid!, app);
    for (const child of descendants(agent.child.pid!)) add(`  ${child.name} (${app})`, child.pid, app);
  }
  return out;
}

const verdict = (ok: boolean): string => (ok ? 'met' : 'NOT met');
const load = (): string => `load average ${loadavg()[0]!.toFixed(2)} on ${availableParallelism()} cores`;

/** CPU of each process between two readings (the same process in both), its RSS at the second; the goals checked. */
function report(title: string, from: Reading, to: Reading, ms: number, agentGoalPercent: number): void {
  const rows = [...to].flatMap(([name, b]) => {
    const a = from.get(name);
    return a?.pid === b.pid ? [{ name, app: b.app, cpuPercent: (100 * (b.cpuMs - a.cpuMs)) / ms, rssMb: b.rssMb }] : [];
  });
  const base = rows.find((row) => row.app === null)!;
  console.log(`${title} (${(ms / 1000).toFixed(0)} s, ${load()}; CPU time of all threads, from schedstat):`);
  for (const row of rows) {
    console.log(
      `  ${row.name.padEnd(44)} CPU ${row.cpuPercent.toFixed(3)} % of a core   RSS ${row.rssMb.toFixed(1)} MB   RSS vs bare node ${(row.rssMb / base.rssMb).toFixed(2)}`,
    );
  }
  for (const app of Object.keys(apps)) {
    const all = rows.filter((row) => row.app === app);
    const agent = all.find((row) => row.name.startsWith('agent'))!;
    const cpu = all.reduce((n, r) => n + r.cpuPercent, 0);
    const rss = all.reduce((n, r) => n + r.rssMb, 0);
    console.log(
      `  ${app}: agent ${agent.cpuPercent.toFixed(3)} % ≤ ${agentGoalPercent} % ${verdict(agent.cpuPercent <= agentGoalPercent)}, ` +
        `${agent.rssMb.toFixed(1)} MB ≤ 60 MB ${verdict(agent.rssMb <= 60)}; whole app (${all.length} processes) ` +
        `${cpu.toFixed(3)} % ≤ 0.2 % ${verdict(cpu <= 0.2)}, ${rss.toFixed(1)} MB ≤ 120 MB ${verdict(rss <= 120)}` +
        `   (baseline: bare node ${base.cpuPercent.toFixed(3)} %, ${base.rssMb.toFixed(1)} MB)`,
    );
  }
}

// Two windows: the half minute after start-up (V8 still compiles and collects what starting left behind), then the
// steady state a task manager shows from then on.
const SETTLING_MS = 30_000;
console.log(`build: ${BUILD}`);
const s0 = snapshot();
await wait(SETTLING_MS);
const s1 = snapshot();
await wait(SECONDS * 1000);
const s2 = snapshot();
report('the first half minute after start-up', s0, s1, SETTLING_MS, 0.3);
report('idle, steady', s1, s2, SECONDS * 1000, 0.1);
bare.kill();
await Promise.all(Object.values(apps).map((app) => app.stop()));
