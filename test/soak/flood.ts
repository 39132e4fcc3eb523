// A flood of local connections against a running agent, as any local process could send without the token: idle
// connections, slowloris (headers a line at a time), slow bodies; meanwhile the page's own calls, with the token, on
// fresh connections. The agent is the real headless one in a process of its own, with its limit on open files
// lowered so a bounded flood reaches it. Used by the soak case (cases-door.ts) and
// test/integration/server-flood.test.ts.
import { execFile, fork } from 'node:child_process';
import { once } from 'node:events';
import { readdir } from 'node:fs/promises';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DOOR_LIMITS } from '../../main/core/server/connection-guard.js';
import { tempDir } from '../helpers/fakes.js';
import { startHeadless } from '../helpers/headless.js';
import type { FloodOrder, Flooded } from './flood-child.js';

export interface FloodTarget {
  port: number;
  token: string;
  /** The agent's process: its open files are counted from /proc/<pid>/fd. */
  pid: number;
}

export interface FloodSize {
  idle: number;
  slowloris: number;
  /** The flood's own end: every connection still open then is closed by the flood, and counted as held. */
  deadlineMs: number;
}

export interface FloodReport extends Flooded {
  fdsBefore: number;
  peakFds: number;
  /** The page's calls during the flood: latency of each answered one, ms, and how many failed. */
  latencies: number[];
  callsFailed: number;
}

export const fdCount = async (pid: number): Promise<number> => (await readdir(`/proc/${pid}/fd`)).length;

/**
 * Lowers a running process's limit on open files (util-linux prlimit), so a bounded flood reaches it as a big one
 * would reach the default. Returns false where prlimit is missing.
 */
export async function lowerFdLimit(pid: number, limit: number): Promise<boolean> {
  return promisify(execFile)('prlimit', ['--pid', String(pid), `--nofile=${limit}:${limit}`]).then(
    () => true,
    () => false,
  );
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** One getState call as the page makes it, on a connection of its own. */
function call(target: FloodTarget): Promise<number> {
  const t = performance.now();
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ cmd: 'getState' });
    const req = request(
      {
        host: '127.0.0.1',
        port: target.port,
        path: '/api/rpc',
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${target.token}` },
      },
      (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve(performance.now() - t) : reject(new Error(`HTTP ${res.statusCode}`))));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The most files the process had open, sampled every 20 ms until `stop`. */
function sampleFds(pid: number, before: number): { stop(): Promise<number> } {
  let peak = before;
  const sample = (): Promise<void> =>
    fdCount(pid).then(
      (n) => void (peak = Math.max(peak, n)),
      () => undefined,
    );
  const timer = setInterval(() => void sample(), 20);
  return {
    async stop() {
      clearInterval(timer);
      await sample();
      return peak;
    },
  };
}

/** The page's calls, one after another, until `stop`: each answered one's latency, and how many failed. */
function callWhileFlooding(target: FloodTarget): { stop(): Promise<{ latencies: number[]; callsFailed: number }> } {
  const latencies: number[] = [];
  let callsFailed = 0;
  let going = true;
  const loop = (async () => {
    while (going)
      await call(target).then(
        (ms) => latencies.push(ms),
        () => callsFailed++,
      );
  })();
  return {
    async stop() {
      going = false;
      await loop;
      return { latencies, callsFailed };
    },
  };
}

/**
 * Floods the agent from a process of its own while the page calls it and its open files are counted, until every
 * connection of the flood is closed (by the agent, or by the flood at its deadline).
 */
export async function flood(target: FloodTarget, size: FloodSize): Promise<FloodReport> {
  const fdsBefore = await fdCount(target.pid);
  const fds = sampleFds(target.pid, fdsBefore);
  const calls = callWhileFlooding(target);
  const order: FloodOrder = { port: target.port, token: target.token, ...size };
  const child = fork(fileURLToPath(new URL('flood-child.ts', import.meta.url)), [JSON.stringify(order)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const [flooded] = (await once(child, 'message')) as [Flooded];
  const { latencies, callsFailed } = await calls.stop();
  return { ...flooded, fdsBefore, peakFds: await fds.stop(), latencies, callsFailed };
}

export interface DoorOutcome extends FloodReport {
  /** The agent's limit on open files during the flood; null where it could not be lowered (then the system's). */
  limit: number | null;
  /** Warning and error lines the agent logged during the flood. */
  logLines: number;
  /** The agent ran out of file descriptors somewhere (its log says EMFILE or "too many open files"). */
  starved: boolean;
  /** Still running after the flood. */
  alive: boolean;
}

/** Starts the headless agent, floods it, and stops it. */
export async function floodHeadless(size: FloodSize, limit = 1024): Promise<DoorOutcome> {
  const agent = await startHeadless(await tempDir('synor-flood-'), ['--import', 'tsx', 'main/core/headless.ts', '--port', '0']);
  try {
    const pid = agent.child.pid!;
    const lowered = await lowerFdLimit(pid, limit);
    const logged = agent.output().length;
    const report = await flood({ port: Number(new URL(agent.origin).port), token: agent.token, pid }, size);
    const log = agent.output().slice(logged);
    return {
      ...report,
      limit: lowered ? limit : null,
      logLines: log.split('\n').filter((line) => /warning|error/.test(line)).length,
      starved: /EMFILE|too many open files/i.test(log),
      alive: agent.child.exitCode === null,
    };
  } finally {
    await agent.stop();
  }
}

/** What a flood did, in one line for the soak table. */
export function describeDoor(o: DoorOutcome, size: FloodSize): string {
  const ms = (n: number): string => `${Math.round(n)} ms`;
  const cut = o.slowBodyMs.map((t) => (t === null ? `not within ${size.deadlineMs / 1000} s` : ms(t))).join(' / ');
  return [
    `opened ${o.opened}, refused ${o.refused}, answered and closed ${o.answered}, still open at ${size.deadlineMs / 1000} s ${o.held}`,
    `agent fds ${o.fdsBefore} → peak ${o.peakFds} (limit ${o.limit ?? 'not lowered'})`,
    `API ${o.latencies.length} calls answered, ${o.callsFailed} failed, p50 ${ms(percentile(o.latencies, 50))}, p99 ${ms(percentile(o.latencies, 99))}`,
    `slowloris closed within ${ms(o.slowlorisMaxMs)}, slow body cut at ${cut} (without / with the token)`,
    `${o.logLines} log lines${o.starved ? ', ran out of file descriptors' : ''}`,
  ].join('; ');
}

/** What went wrong, empty when the door held. */
export function doorFailures(o: DoorOutcome, size: FloodSize): string[] {
  const failures: [boolean, string][] = [
    [o.alive, 'the agent died'],
    [!o.starved, 'the agent ran out of file descriptors'],
    [o.peakFds <= o.fdsBefore + DOOR_LIMITS.connections + 16, `peak fds ${o.peakFds} past the cap of ${DOOR_LIMITS.connections}`],
    [o.latencies.length > 0 && o.callsFailed === 0, `the API failed ${o.callsFailed} of ${o.callsFailed + o.latencies.length} calls`],
    [o.slowlorisMaxMs < size.deadlineMs, 'slowloris connections were held until the flood gave up'],
    [o.slowBodyMs.every((t) => t !== null), 'a slow body was not cut off'],
    [o.logLines <= 5, `${o.logLines} log lines for one flood`],
  ];
  return failures.filter(([ok]) => !ok).map(([, why]) => why);
}
