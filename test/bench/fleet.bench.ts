// Fleet at scale (issue 29 item 6): MEMBERS (50) built agents on this machine, sharing off, each with its own data
// folder, paired into one fleet through the local API, and a lone agent (fleet on, no members) beside the viewing
// one as the baseline measured in the same run. Prints, each beside its goal: the time for the viewer's fleet status
// to show every member, each asked afresh (≤ 2 s), for a bulk action to reach every member (≤ 2 s), the viewer's CPU
// and memory with the Fleet page open (asked every 5 s, as the page does) against the lone agent's (≤ 2 % of a core,
// ≤ 30 MB over), and the bytes per member per minute when nobody looks (the viewer's own once-a-minute check;
// ≤ 10 KB/min). The load average is printed beside the figures: the machine is shared.
import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as wait } from 'node:timers/promises';
import type { FleetStatus, PairingOffer } from '../../main/common/fleet.js';
import { DEFAULT_SETTINGS, type Settings } from '../../main/common/settings.js';
import type { AgentState } from '../../main/common/state.js';
import { FRESH_MS } from '../../main/core/fleet/members.js';
import { WATCH_EVERY_MS } from '../../main/core/fleet/watch.js';
import { tempDir } from '../helpers/fakes.js';
import { rpc, startHeadless, type Headless } from '../helpers/headless.js';
import { cpuNs } from '../helpers/thread-cpu.js';

const MEMBERS = Number(process.env['FLEET_MEMBERS'] ?? 50);
const WINDOW_S = Number(process.env['BENCH_SECONDS'] ?? 60);
/** The Fleet page asks this often while it is open (renderer/src/views/Fleet.svelte). */
const PAGE_POLL_MS = 5_000;
/** Agents started at once: each start is a second or two of CPU on a machine of 2 shared cores. */
const STARTS_AT_ONCE = 4;
const TIMED_RUNS = 5;

if (process.platform !== 'linux') {
  console.log('fleet bench: reads /proc, Linux only; skipped');
  process.exit(0);
}

async function call<T>(agent: Headless, cmd: string, args: unknown = {}): Promise<T> {
  const answer = (await rpc(agent, cmd, args)) as { ok: boolean; value?: T; error?: unknown };
  if (!answer.ok) throw new Error(`${cmd}: ${JSON.stringify(answer.error)}`);
  return answer.value as T;
}

/** Fleet on (any free port), sharing off, and a network that is never reached (no devnet beside each agent). */
async function makeHome(profile?: string): Promise<string> {
  const home = await tempDir('synor-fleet-bench-');
  const settings: Settings = {
    ...DEFAULT_SETTINGS,
    network: { ...DEFAULT_SETTINGS.network, coordinatorUrl: 'http://127.0.0.1:9' },
    fleet: { enabled: true, port: 0 },
  };
  await mkdir(join(home, 'config'), { recursive: true });
  await writeFile(join(home, 'config', 'settings.json'), JSON.stringify(settings));
  if (profile !== undefined) {
    // The same machine's measured CPU profile: 50 first-start benchmarks would only measure each other.
    await mkdir(join(home, 'data'), { recursive: true });
    await copyFile(profile, join(home, 'data', 'hardware-profile.json'));
  }
  return home;
}

/** Start-up is over: hardware detected and the first-start benchmark done. */
async function settled(agent: Headless): Promise<void> {
  for (;;) {
    const profile = (await call<AgentState>(agent, 'getState')).hardware?.profile.state;
    if (profile && profile !== 'running' && profile !== 'stale') return;
    await wait(500);
  }
}

/** CPU time (all threads, schedstat) and RSS of a process. */
function usage(pid: number) {
  const rssKb = Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)?.[1]);
  return { cpuMs: cpuNs(pid) / 1e6, rssMb: rssKb / 1024 };
}

/** Open TCP connections to one of `ports` (from `ss`), each with the bytes sent and received on it so far. */
function fleetConnections(ports: Set<string>): Map<string, number> {
  const lines = execFileSync('ss', ['-tinH'], { encoding: 'utf8' }).split('\n');
  const found = new Map<string, number>();
  for (let i = 0; i + 1 < lines.length; i++) {
    const [, , , local, peer] = lines[i]!.trim().split(/\s+/);
    if (local === undefined || peer === undefined || !ports.has(local.split(':').at(-1)!)) continue;
    const info = lines[i + 1]!;
    const bytes = (name: string): number => Number(info.match(new RegExp(`${name}:(\\d+)`))?.[1] ?? 0);
    found.set(`${local} ${peer}`, bytes('bytes_sent') + bytes('bytes_received'));
  }
  return found;
}

const timed = async <T>(run: () => Promise<T>): Promise<{ ms: number; value: T }> => {
  const started = performance.now();
  const value = await run();
  return { ms: performance.now() - started, value };
};
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const verdict = (met: boolean): string => (met ? 'met' : 'NOT met');
const load = (): string =>
  loadavg()
    .map((n) => n.toFixed(2))
    .join(' ');

/** Starts `count` agents, a few at a time, from homes made by `home`. */
async function startMany(count: number, home: () => Promise<string>): Promise<Headless[]> {
  const started: Headless[] = [];
  while (started.length < count) {
    const batch = Math.min(STARTS_AT_ONCE, count - started.length);
    started.push(...(await Promise.all(Array.from({ length: batch }, async () => startHeadless(await home())))));
    agents.push(...started.slice(-batch));
  }
  return started;
}

/** The Fleet page's view: all members online, or an error naming the first that is not. */
async function view(viewer: Headless): Promise<FleetStatus> {
  const status = await call<FleetStatus>(viewer, 'fleetStatus');
  const offline = status.peers.filter((peer) => peer.state !== 'online');
  if (status.peers.length !== MEMBERS || offline.length > 0) {
    throw new Error(`${status.peers.length} members listed, ${offline.length} not online: ${offline[0]?.reason ?? ''}`);
  }
  return status;
}

/** Every member took the command. */
async function bulk(viewer: Headless, command: unknown): Promise<void> {
  const { results } = await call<{ results: { ok: boolean; error?: { message: string } }[] }>(viewer, 'fleetCommand', {
    ids: 'all',
    command,
  });
  const failed = results.filter((result) => !result.ok);
  if (results.length !== MEMBERS || failed.length > 0) throw new Error(`${failed.length} failed: ${failed[0]?.error?.message ?? ''}`);
}

const agents: Headless[] = [];
try {
  console.log(`fleet bench: ${MEMBERS} members, built agents; load average at start ${load()}`);
  const viewerHome = await makeHome();
  const viewer = await startHeadless(viewerHome);
  agents.push(viewer);
  await settled(viewer);
  const profile = join(viewerHome, 'data', 'hardware-profile.json');
  const startedAt = performance.now();
  const [lone] = await startMany(1, () => makeHome(profile));
  const members = await startMany(MEMBERS, () => makeHome(profile));
  console.log(`  ${MEMBERS + 1} more agents started in ${((performance.now() - startedAt) / 1000).toFixed(1)} s`);

  const port = (await call<FleetStatus>(viewer, 'fleetStatus')).addresses[0]!.split(':').at(-1);
  const paired = await timed(async () => {
    for (const member of members) {
      const { code } = await call<PairingOffer>(viewer, 'fleetPair');
      await call(member, 'fleetJoin', { address: `127.0.0.1:${port}`, code });
    }
  });
  console.log(`  ${MEMBERS} paired one after another through the API in ${(paired.ms / 1000).toFixed(1)} s`);

  // Each timed view asks every member: an answer serves the view for FRESH_MS, so the run waits that out first.
  const views: number[] = [];
  for (let i = 0; i < TIMED_RUNS; i++) {
    await wait(FRESH_MS);
    views.push((await timed(() => view(viewer))).ms);
  }
  const actions: number[] = [];
  for (let i = 0; i < TIMED_RUNS; i++) {
    actions.push((await timed(() => bulk(viewer, { type: 'pause', ms: i % 2 === 0 ? 3_600_000 : 0 }))).ms);
  }

  // The Fleet page open on both the viewer and the lone agent: each asked every 5 s.
  const pids = { viewer: viewer.child.pid!, lone: lone!.child.pid! };
  const before = { viewer: usage(pids.viewer), lone: usage(pids.lone) };
  const pageStarted = performance.now();
  while (performance.now() - pageStarted < WINDOW_S * 1000) {
    await Promise.all([view(viewer), call(lone!, 'fleetStatus'), wait(PAGE_POLL_MS)]);
  }
  const pageMs = performance.now() - pageStarted;
  const after = { viewer: usage(pids.viewer), lone: usage(pids.lone) };
  const cpu = (who: 'viewer' | 'lone'): number => (100 * (after[who].cpuMs - before[who].cpuMs)) / pageMs;
  const loadPage = load();

  // Nobody looks: the viewer's own check once a minute is the only traffic. Its checks are counted as they happen
  // (the first member's record of when its owner last asked it) and the bytes read off every TCP connection to a
  // member's fleet port while it stays open after its exchange (kept alive 20 s), so the bytes per check are exact
  // whatever the window's edges cut.
  const idleMs = Math.max(2 * WATCH_EVERY_MS, WINDOW_S * 1000);
  const fleetPorts = new Set(
    await Promise.all(members.map(async (member) => (await call<FleetStatus>(member, 'fleetStatus')).addresses[0]!.split(':').at(-1)!)),
  );
  const ownerSeen = async (): Promise<number | null> => (await call<FleetStatus>(members[0]!, 'fleetStatus')).peers[0]?.lastSeen ?? null;
  // Connections are kept alive between exchanges: one already open counts only what it carries from now on.
  const atStart = fleetConnections(fleetPorts);
  const connections = new Map<string, number>();
  let checks = 0;
  let seenAt = await ownerSeen();
  const idleStarted = performance.now();
  while (performance.now() - idleStarted < idleMs) {
    await wait(1_000);
    for (const [key, bytes] of fleetConnections(fleetPorts)) {
      connections.set(key, Math.max(bytes - (atStart.get(key) ?? 0), connections.get(key) ?? 0));
    }
    const now = await ownerSeen();
    if (now !== seenAt) checks++;
    seenAt = now;
  }
  const idleMinutes = (performance.now() - idleStarted) / 60_000;
  const idleBytes = [...connections.values()].reduce((a, b) => a + b, 0);
  const perMemberPerCheck = idleBytes / MEMBERS / Math.max(checks, 1);
  const perMinute = (perMemberPerCheck * 60_000) / WATCH_EVERY_MS;

  const viewMs = Math.max(...views);
  const actionMs = Math.max(...actions);
  const overMb = after.viewer.rssMb - after.lone.rssMb;
  console.log(`fleet with ${MEMBERS} members (load average ${loadPage} during the page window, ${load()} at the end):`);
  console.log(
    `  fleet status shows all ${MEMBERS}: median ${median(views).toFixed(0)} ms, worst ${viewMs.toFixed(0)} ms of ${TIMED_RUNS}   goal ≤ 2 s: ${verdict(viewMs <= 2000)}`,
  );
  console.log(
    `  bulk action (pause, end the pause) reaches all ${MEMBERS}: median ${median(actions).toFixed(0)} ms, worst ${actionMs.toFixed(0)} ms of ${TIMED_RUNS}   goal ≤ 2 s: ${verdict(actionMs <= 2000)}`,
  );
  console.log(
    `  viewer with the Fleet page open (${(pageMs / 1000).toFixed(0)} s): CPU ${cpu('viewer').toFixed(2)} % of a core (lone agent ${cpu('lone').toFixed(2)} %)   goal ≤ 2 %: ${verdict(cpu('viewer') <= 2)}`,
  );
  console.log(
    `  viewer memory: RSS ${after.viewer.rssMb.toFixed(1)} MB, lone agent ${after.lone.rssMb.toFixed(1)} MB, ${overMb.toFixed(1)} MB over   goal ≤ 30 MB over: ${verdict(overMb <= 30)}`,
  );
  console.log(
    `  idle (${idleMinutes.toFixed(1)} min, ${checks} checks by the viewer seen): ${(perMemberPerCheck / 1024).toFixed(2)} KB per member per check, ${(perMinute / 1024).toFixed(2)} KB per member per minute (TCP payload both ways, ${connections.size} connections)   goal ≤ 10 KB/min: ${verdict(perMinute <= 10 * 1024)}`,
  );
} finally {
  await Promise.all(agents.map((agent) => agent.stop()));
}
