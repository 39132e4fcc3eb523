import { fork, type ChildProcess } from 'node:child_process';
import { childEntry } from '../child-entry.js';

/**
 * Starts the process the driver calls run in (probe-child.ts), loading the addon from the app folder `root`. Kept
 * apart from isolated-probe.ts (and its schemas) so `npm run detect` can start it before loading anything else.
 */
export function startProbeChild(root: string): ChildProcess {
  const entry = childEntry(import.meta.url, 'probe-child');
  return fork(entry.path, [root], { execArgv: entry.execArgv, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
}
