// The instance lock (issue 26 item 7): a stale lock, a lock path that is not a file and a full disk never lock the
// user out. Each case starts the real headless agent (from source) on a folder of its own, as a user would.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { tempDir } from '../helpers/fakes.js';
import { ROOT } from '../helpers/headless.js';
import { smallDisk } from '../helpers/small-disk.js';
import { clean, type CaseOutcome, type SoakCase } from './case.js';

// Its own link (a second start prints the running agent's link after other words).
const RUNNING = /\(headless\) is running\. Open this link in your browser:\n\s+http:\/\/127\.0\.0\.1:\d+\/#token=[0-9a-f]{64}\n/;

/** How one headless start ended: it printed its link (then it is stopped), or it exited first. */
interface StartEnd {
  running: boolean;
  code: number | null;
  output: string;
}

/** Starts the headless agent with its data under `home`; waits for its own link or its exit, whichever comes first. */
async function startOnce(home: string): Promise<StartEnd> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'main/core/headless.ts', '--port', '0'], {
    cwd: ROOT,
    env: { ...process.env, SYNOR_HOME: home },
  });
  let output = '';
  const exited = once(child, 'exit') as Promise<[number | null]>;
  const linked = new Promise<void>((resolve) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (RUNNING.test(output)) resolve();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
  });
  const first = await Promise.race([linked.then(() => 'linked' as const), exited.then(() => 'exited' as const)]);
  if (first === 'linked') {
    child.kill('SIGTERM');
    const [code] = await exited;
    return { running: true, code, output };
  }
  const [code] = await exited;
  return { running: false, code, output };
}

/** What a start printed, cut to the first lines that matter for the table. */
const said = (end: StartEnd): string => end.output.trim().split('\n').slice(0, 2).join(' / ').slice(0, 200);

/** This machine's boot time (Linux /proc/stat btime), ms since the epoch; null elsewhere. */
async function bootMs(): Promise<number | null> {
  const text = await readFile('/proc/stat', 'utf8').catch(() => '');
  const btime = text.match(/^btime (\d+)$/m)?.[1];
  return btime === undefined ? null : Number(btime) * 1000;
}

/** A plain web server that is not an agent, on the port a stale lock's link names (as after a reboot). */
async function otherServer(): Promise<{ port: number; close(): Promise<void> }> {
  const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<h1>It works</h1>'));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

export const LOCK_CASES: SoakCase[] = [
  {
    name: 'stale lock held by another live program',
    fast: false,
    run: async () => {
      const boot = await bootMs();
      if (boot === null) return { ...clean, ok: true, skipped: 'needs Linux /proc (boot time)', outcome: 'not run' };
      // (a) Written a minute before this machine booted, in the lock's format before issue 26, by an agent whose pid
      // is now the init process's (pid 1: alive, and never an agent). (b) A lock in today's format naming this soak
      // runner (alive, not an agent), with a start that is not this runner's and a link a plain web server answers.
      const web = await otherServer();
      const lockA = { pid: 1, startedAt: boot - 60_000 };
      const lockB = {
        pid: process.pid,
        startedAt: Date.now() - 60_000,
        processStart: { boot: 'an-earlier-boot', ticks: 1 },
        url: `http://127.0.0.1:${web.port}/#token=${'ab'.repeat(32)}`,
      };
      const ends: StartEnd[] = [];
      try {
        for (const lock of [lockA, lockB]) {
          const home = await tempDir('synor-soak-lock-');
          await mkdir(join(home, 'data'), { recursive: true });
          await writeFile(join(home, 'data', 'agent.lock'), JSON.stringify(lock));
          ends.push(await startOnce(home));
        }
      } finally {
        await web.close();
      }
      const ok = ends.every((end) => end.running && end.code === 0);
      return {
        ...clean,
        ok,
        outcome: ends
          .map(
            (end, i) =>
              `${i === 0 ? 'pid 1, from before boot' : 'live non-agent pid, link answered by another server'}: ${end.running ? 'taken over, agent runs' : `blocked: ${said(end)}`}`,
          )
          .join('; '),
      };
    },
  },
  {
    name: 'agent.lock is a directory',
    fast: false,
    run: async () => {
      const home = await tempDir('synor-soak-lockdir-');
      await mkdir(join(home, 'data', 'agent.lock'), { recursive: true });
      const end = await startOnce(home);
      const names = await readdir(join(home, 'data'));
      const aside = names.find((name) => /^agent\.lock\.bad-/.test(name));
      const asideIsDir = aside !== undefined && (await stat(join(home, 'data', aside))).isDirectory();
      const stack = /^\s+at /m.test(end.output);
      const ok = end.running && end.code === 0 && asideIsDir && !stack;
      return {
        ...clean,
        ok,
        outcome: end.running
          ? `started; the directory was moved aside as ${aside ?? '(nothing)'}${stack ? '; a stack trace was printed' : ''}`
          : `did not start (exit ${end.code}): ${said(end)}`,
      };
    },
  },
  {
    name: 'full disk at start',
    fast: false,
    run: async (): Promise<CaseOutcome> => {
      const disk = await smallDisk();
      if ('skipped' in disk) return { ...clean, ok: true, skipped: disk.skipped, outcome: 'not run' };
      try {
        await disk.fill();
        const full = await startOnce(disk.dir);
        const lines = full.output.trim().split('\n');
        const sentence = `The disk holding ${join(disk.dir, 'data')} is full: free some space and start again.`;
        const plain = !full.running && full.code !== 0 && lines.length === 1 && lines[0] === sentence;
        // The way on: once there is room, the next start runs.
        await disk.free();
        const after = await startOnce(disk.dir);
        return {
          ...clean,
          ok: plain && after.running && after.code === 0,
          outcome: `full: ${full.running ? 'started?' : `exit ${full.code}, ${lines.length} line(s): ${said(full)}`}; after freeing space: ${after.running ? 'runs' : `did not start: ${said(after)}`}`,
        };
      } finally {
        await disk.close();
      }
    },
  },
];
