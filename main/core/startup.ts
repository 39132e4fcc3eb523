/**
 * The one start-up both shells use: OS ports for this host, the data folders, the agent, and a shutdown that
 * lets it finish properly. Electron passes what it does better (powerMonitor, safeStorage, its app folder);
 * headless mode passes nothing.
 */
import { createAgent, type Agent, type AgentOptions } from './agent.js';
import { createDefaultProbe } from './hardware/default-probe.js';
import { nodeSystemPorts } from './monitor/node-sources.js';
import { stderrLogger, systemClock } from './node-ports.js';
import { appPaths, type AppPaths } from './paths.js';
import type { Ports } from './ports.js';
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
  agent: Agent;
  paths: AppPaths;
  ports: Ports;
}

export async function startAgent(o: StartOptions): Promise<Started> {
  const platform = o.platform ?? process.platform;
  const env = o.env ?? process.env;
  const paths = appPaths(platform, env, o.home);
  const defaults: Ports = {
    clock: systemClock,
    logger: stderrLogger,
    hardware: createDefaultProbe(o.appRoot === undefined ? {} : { root: o.appRoot }),
    secrets: new KeychainStore(),
    ...nodeSystemPorts(platform, env),
  };
  const ports = { ...defaults, ...o.ports?.(defaults, paths) };
  const agent = await createAgent({
    ports,
    paths,
    mode: o.mode,
    version: o.version,
    ...(o.autoBenchmark === undefined ? {} : { autoBenchmark: o.autoBenchmark }),
  });
  return { agent, paths, ports };
}

/**
 * Closes once, however many quit requests arrive (tray Quit, then SIGTERM from the session ending). agent.close()
 * stops new work, gives back or finishes running tasks, sends the outbox and ends the job processes; `also` closes
 * what the shell added around it (the HTTP server).
 */
export function shutdown(agent: Pick<Agent, 'close'>, also: () => Promise<void> = async () => undefined): () => Promise<void> {
  let closing: Promise<void> | null = null;
  return () => (closing ??= Promise.all([also(), agent.close()]).then(() => undefined));
}
