import { loadAddon } from '../hardware/native-probe.js';

/** How the agent tells a job host whose child it is (host.ts sets it; job-host.ts reads it). */
export const AGENT_PID_ENV = 'SYNOR_AGENT_PID';

export type ParentDeath = 'set' | 'parent-gone' | 'unsupported';

/**
 * Called first thing in a job host: on Linux the native addon sets PR_SET_PDEATHSIG(SIGKILL), so the kernel
 * kills this host when the agent dies, even while the host is SIGSTOPped (a stopped process never sees its IPC
 * pipe close). A host whose agent died before the call exits at once. Without the addon (or off Linux) the
 * remaining guards are `exitWithAgent` for a running host and the agent's sweep of stopped orphans at its next
 * start (host.ts); Windows and macOS never leave hosts stopped (no SIGSTOP there, or no parking).
 */
export function dieWithAgent(env: NodeJS.ProcessEnv = process.env): ParentDeath {
  const agentPid = Number(env[AGENT_PID_ENV]);
  if (!Number.isInteger(agentPid) || agentPid <= 0) return 'unsupported';
  const { addon } = loadAddon();
  // A build from before this function lacks it: the fallback applies.
  const set = (addon as { setParentDeathSignal?: (pid: number) => unknown } | null)?.setParentDeathSignal;
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
