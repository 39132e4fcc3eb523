/**
 * Child of orphans.test.ts, in two roles (as watchdog-host.ts). Started by the test, it is the agent: it forks itself
 * and stays until killed. Forked, it is a stand-in job host with none of the other guards (no parent-death signal, no
 * watchdog): it only takes its own process group, as dieWithAgent does first, prints its pid, and waits.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { addonOrNull } from '../../helpers/processes.js';

if (process.send === undefined) {
  fork(fileURLToPath(import.meta.url), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
} else {
  const joined = (addonOrNull() as { joinOwnProcessGroup?: () => string } | null)?.joinOwnProcessGroup?.() ?? 'no-addon';
  process.stdout.write(`host ${process.pid} ${joined}\n`);
}
setInterval(() => undefined, 60_000);
