// Job hosts die with their agent. The kernel's way (Linux: PR_SET_PDEATHSIG, even for a stopped host) is the soak case
// "agent killed (kill -9) while its job host is stopped" (test/soak/cases-work.ts); here the watchdog of every other
// platform, run on this one without the parent-death signal.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../helpers/fakes.js';
import { ROOT, waitForLine } from '../helpers/headless.js';
import { gone, processState } from '../helpers/processes.js';

test(
  'without the parent-death signal, a job host busy in native code exits within 1 s of kill -9 on its agent (watchdog)',
  { timeout: 30_000, skip: process.platform === 'win32' ? 'needs mkfifo' : false },
  async () => {
    const fifo = join(await tempDir(), 'never-written');
    execFileSync('mkfifo', [fifo]);
    const agent = spawn(process.execPath, ['--import', 'tsx', 'test/integration/support/watchdog-host.ts', fifo], { cwd: ROOT });
    let host = 0;
    try {
      host = Number((await waitForLine(agent, /host (\d+) ready/))[1]);
      const closed = once(agent.stdout, 'close', { signal: AbortSignal.timeout(1000) });
      const killed = performance.now();
      agent.kill('SIGKILL');
      // The pipe closes once its last writer, the host, is gone too; not within 1 s, and `closed` rejects.
      await closed;
      const ms = performance.now() - killed;
      console.log(`job host gone ${ms.toFixed(0)} ms after kill -9 of its agent, by its watchdog`);
    } finally {
      agent.kill('SIGKILL');
      if (host > 0 && !gone(host)) process.kill(host, 'SIGKILL'); // a failed run must not leave its orphan behind
    }
  },
);

test(
  'a job host stopped in its own process group dies with its agent without the parent-death signal or a watchdog (the orphaned group gets SIGHUP, SIGCONT)',
  { timeout: 30_000, skip: process.platform !== 'linux' ? 'reads /proc to see the stop' : false },
  async (t) => {
    const agent = spawn(process.execPath, ['--import', 'tsx', 'test/integration/support/group-host.ts'], { cwd: ROOT });
    let host = 0;
    try {
      const [, pid, joined] = (await waitForLine(agent, /host (\d+) (\S+)/)) as unknown as [string, string, string];
      host = Number(pid);
      if (joined !== 'set') return t.skip(`the native addon is not built here (${joined})`);
      process.kill(host, 'SIGSTOP');
      while (processState(host) !== 'T') await new Promise((resolve) => setImmediate(resolve)); // the stop is asynchronous
      const closed = once(agent.stdout, 'close', { signal: AbortSignal.timeout(1000) });
      const killed = performance.now();
      agent.kill('SIGKILL');
      // The shared stdout closes once the host, its last writer, is gone too; not within 1 s, and `closed` rejects.
      await closed;
      console.log(
        `stopped job host gone ${(performance.now() - killed).toFixed(0)} ms after kill -9 of its agent, by the orphaned-group signals`,
      );
    } finally {
      agent.kill('SIGKILL');
      if (host > 0 && !gone(host)) process.kill(host, 'SIGKILL'); // a failed run must not leave its orphan behind
    }
  },
);
