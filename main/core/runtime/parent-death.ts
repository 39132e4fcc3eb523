import { loadAddon } from '../native/addon-load.js';

/** How the agent tells a job host whose child it is (host.ts sets it; job-host.ts reads it). */
export const AGENT_PID_ENV = 'SYNOR_AGENT_PID';

export type ParentDeath = 'set' | 'parent-gone' | 'unsupported';

/**
 * Called first thing in a job host. On every POSIX system the host takes its own process group in the agent's
 * session: should the agent die while the host is SIGSTOPped (a stopped process never sees its IPC pipe close), the
 * group is orphaned and the kernel sends it SIGHUP, then SIGCONT, and SIGHUP ends it (macOS as Linux). On Linux the
 * native addon also sets PR_SET_PDEATHSIG(SIGKILL), so the kernel kills the host with its agent whatever its state;
 * a host whose agent died before the call exits at once. A running host has `exitWithAgent` besides, and without
 * the addon the agent sweeps stopped orphans at its next start (host.ts).
 */
export function dieWithAgent(env: NodeJS.ProcessEnv = process.env): ParentDeath {
  const agentPid = Number(env[AGENT_PID_ENV]);
  if (!Number.isInteger(agentPid) || agentPid <= 0) return 'unsupported';
  // A build from before these functions lacks them: the other guards apply.
  const loaded = loadAddon();
  // eslint-disable-next-line @typescript-eslint/consistent-type-assertions -- a build from before these functions lacks them, which the typeof check below allows for
  const addon = (loaded.ok ? loaded.value.addon : null) as {
    setParentDeathSignal?: (pid: number) => unknown;
    joinOwnProcessGroup?: () => unknown;
  } | null;
  addon?.joinOwnProcessGroup?.();
  const set = addon?.setParentDeathSignal;
  const result = typeof set === 'function' ? set(agentPid) : 'unsupported';
  return result === 'set' || result === 'parent-gone' ? result : 'unsupported';
}

/**
 * The host's own watchdog, for where nothing else kills it with its agent (no parent-death signal: macOS, Windows,
 * Linux without the addon): when the agent dies, however it dies, its ends of the IPC channel and of `links` close
 * and Node says so at once ('disconnect', 'close': events, no polling). The host then kills itself: process.exit
 * would first wait for the worker thread, which may be inside a model run for seconds.
 */
export function exitWithAgent(...links: { once(event: 'close', listener: () => void): unknown }[]): void {
  const die = (): void => void process.kill(process.pid, 'SIGKILL');
  process.once('disconnect', die);
  for (const link of links) link.once('close', die);
}
