/**
 * The one start-up both shells use: OS ports for this host, the data folders, the agent, and a shutdown that
 * lets it finish properly. Electron passes what it does better (powerMonitor, safeStorage, its app folder);
 * headless mode passes nothing.
 */
import type { Failure } from '../common/result.js';
import { createAgent, type Agent, type AgentOptions } from './agent.js';
import { createDefaultProbe } from './hardware/default-probe.js';
import { acquireInstanceLock, type InstanceLock, type LockInfo } from './instance-lock.js';
import { nodeSystemPorts } from './monitor/node-sources.js';
import { stderrLogger, systemClock } from './node-ports.js';
import { appPaths, type AppPaths } from './paths.js';
import type { Ports } from './ports.js';
import { startRefusal } from './start-refusal.js';
import { KeychainStore } from './wallet/secret-store.js';

export interface StartOptions {
  mode: AgentOptions['mode'];
  version: string;
  home: string;
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  /** Built from the node ports and the paths, so a shell can wrap the default (Electron's idle wraps logind's). */
  ports?: (defaults: Ports, paths: AppPaths) => Partial<Ports>;
  /** Where the package lives (the native addon is found from it); the bundle's own folder when not given. */
  appRoot?: string;
  autoBenchmark?: boolean;
}

export interface Started {
  started: true;
  agent: Agent;
  paths: AppPaths;
  ports: Ports;
  /** This agent's hold on its data folder; shutdown() releases it. */
  lock: InstanceLock;
}

/** Another agent owns the data folder (one agent per folder, whichever shell): the shell shows it instead. */
export interface AlreadyRunning {
  started: false;
  paths: AppPaths;
  running: LockInfo;
}

/** The disk refuses the app's folders (full, read-only, not ours): the shell shows `error.message` and ends. */
export interface CannotStart {
  started: false;
  paths: AppPaths;
  error: Failure<'STORAGE'>;
}

export async function startAgent(o: StartOptions): Promise<Started | AlreadyRunning | CannotStart> {
  const platform = o.platform ?? process.platform;
  const env = o.env ?? process.env;
  const paths = appPaths(platform, env, o.home);
  const taken = await acquireInstanceLock(paths.dataDir);
  if (!taken.ok) return { started: false, paths, error: taken.error };
  if (!taken.value.acquired) return { started: false, paths, running: taken.value.running };
  const { lock, setAside } = taken.value;
  const defaults: Ports = {
    clock: systemClock,
    logger: stderrLogger,
    hardware: createDefaultProbe(o.appRoot === undefined ? {} : { root: o.appRoot }),
    secrets: new KeychainStore(),
    ...nodeSystemPorts(platform, env),
  };
  const ports = { ...defaults, ...o.ports?.(defaults, paths) };
  if (setAside) {
    ports.logger.warn(
      `The lock file in ${paths.dataDir} could not be used (not a plain file, or unreadable): it was moved aside as ${setAside} and the start went on.`,
    );
  }
  try {
    const agent = await createAgent({
      ports,
      paths,
      mode: o.mode,
      version: o.version,
      ...(o.autoBenchmark === undefined ? {} : { autoBenchmark: o.autoBenchmark }),
    });
    return { started: true, agent, paths, ports, lock };
  } catch (error) {
    await lock.release();
    const refusal = startRefusal(error, [paths.dataDir, paths.configDir]);
    if (refusal === null) throw error;
    return { started: false, paths, error: refusal };
  }
}

/**
 * Closes once, however many quit requests arrive (tray Quit, then SIGTERM from the session ending). agent.close()
 * stops new work, gives back or finishes running tasks, sends the outbox and ends the job processes; `also` closes
 * what the shell added around it (the HTTP server). The data folder is let go last, once nothing writes to it.
 */
export function shutdown(started: Pick<Started, 'agent' | 'lock'>, also: () => Promise<void> = async () => undefined): () => Promise<void> {
  let closing: Promise<void> | null = null;
  return () => (closing ??= Promise.all([also(), started.agent.close()]).then(() => started.lock.release()));
}
