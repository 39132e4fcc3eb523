// The shared start-up in headless mode, quit while tasks run on a real devnet coordinator with real onnxruntime job
// processes: afterwards no job process is left and every task leased is accounted for (accepted, given back, or
// its result still on disk).
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile, mkdir } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEFAULT_SETTINGS } from '../../main/common/settings.js';
import { shutdown, startAgent } from '../../main/core/startup.js';
import { Outbox } from '../../main/core/network/outbox.js';
import { startCoordinator } from '../../main/devnet/coordinator.js';
import { tempDir } from '../helpers/fakes.js';

/** Every process below `root` (Linux /proc), with its command line. */
async function descendants(root: number): Promise<{ pid: number; cmd: string }[]> {
  const parents = new Map<number, number>();
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => null);
    // Field 4 (ppid) follows the parenthesised command name, which may itself hold spaces.
    if (stat) parents.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
  }
  const below = (pid: number): number[] => [...parents].filter(([, ppid]) => ppid === pid).flatMap(([child]) => [child, ...below(child)]);
  return Promise.all(
    below(root).map(async (pid) => ({ pid, cmd: (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).replaceAll('\0', ' ') })),
  );
}

/** Results kept on disk for a later send: the taskIds in every outbox under `dir`. */
async function outboxTasks(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true }))
    if (entry.isDirectory() && entry.name === 'outbox')
      found.push(...(await new Outbox(join(entry.parentPath, entry.name)).list()).entries.map((e) => e.taskId));
  return found;
}

/** Forwards to the coordinator and notes each lease handed out (leaseId → taskId) and each give-back. */
function recordingProxy(target: string) {
  const leased = new Map<string, string>();
  const released = new Set<string>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (req.url === '/v1/release') released.add((JSON.parse(body.toString()) as { leaseId: string }).leaseId);
      // Leases as JSON, which it reads (a client that asks for a frame takes JSON as well).
      const headers = { ...req.headers, accept: 'application/json' };
      const out = request(new URL(req.url ?? '/', target), { method: req.method, headers }, (reply) => {
        const back: Buffer[] = [];
        reply.on('data', (c: Buffer) => back.push(c));
        reply.on('end', () => {
          const text = Buffer.concat(back);
          // A lease the agent gave up waiting for (its long poll aborted at shutdown) never reached it.
          if (req.url === '/v1/lease' && reply.statusCode === 200 && !res.destroyed) {
            const lease = JSON.parse(text.toString()) as { kind: string; leaseId?: string; task?: { id: string } };
            if (lease.kind === 'task') leased.set(lease.leaseId!, lease.task!.id);
          }
          res.writeHead(reply.statusCode ?? 502, reply.headers).end(text);
        });
      });
      out.on('error', () => res.destroyed || res.writeHead(502).end());
      // As with a direct connection, a request the agent aborts is aborted at the coordinator too.
      res.on('close', () => res.writableFinished || out.destroy());
      out.end(body);
    });
  });
  return {
    leased,
    released,
    listen: () =>
      new Promise<string>((resolve) =>
        server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as { port: number }).port}`)),
      ),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

test('quit during work: no job process left, every leased task accepted, given back or kept on disk', { timeout: 180_000 }, async () => {
  const coordinator = await startCoordinator({ leaseTtlMs: 60_000 });
  const proxy = recordingProxy(coordinator.url);
  const url = await proxy.listen();
  const home = await tempDir('synor-startup-');
  await mkdir(join(home, 'config'), { recursive: true });
  // Work whatever the load of this shared machine: no idle wait, no pause for other programs' CPU.
  const settings = { ...DEFAULT_SETTINGS, sharing: true, idleOnly: { enabled: false, minutes: 10 }, pauseWhenUserCpuAbovePercent: null };
  await writeFile(
    join(home, 'config', 'settings.json'),
    JSON.stringify({ ...settings, network: { ...settings.network, coordinatorUrl: url } }),
  );
  // A bare server: no keychain, so the key is kept under a passphrase.
  const options = {
    mode: 'headless' as const,
    version: '0.0.0-test',
    home,
    env: { ...process.env, SYNOR_HOME: home },
    autoBenchmark: false,
    ports: () => ({ secrets: null }),
  };
  const started = await startAgent(options);
  assert.ok(started.started);
  const { agent, paths } = started;
  try {
    // One agent per data folder: the folder is held while it runs (a second process is turned away:
    // test/integration/instance-lock.test.ts).
    assert.equal((JSON.parse(await readFile(started.lock.file, 'utf8')) as { pid: number }).pid, process.pid);
    const created = await agent.call({ cmd: 'walletCreate', args: { passphrase: 'correct horse battery staple' } });
    assert.ok(created.ok, JSON.stringify(created));
    await agent.call({ cmd: 'getState', args: {} });
    // Quit once results flow and a task is running.
    await new Promise<void>((resolve) => {
      const unsubscribe = agent.subscribe((event) => {
        if (event.type !== 'state' || coordinator.stats.accepted.size < 2) return;
        if (!event.state.work.tasks.some((task) => task.state === 'running')) return;
        unsubscribe();
        resolve();
      });
    });
    const hosts = (await descendants(process.pid)).filter((p) => p.cmd.includes('job-host'));
    assert.ok(hosts.length > 0, 'job processes were running');
    const stop = shutdown(started);
    // A second quit request (tray, then SIGTERM) joins the first.
    const quitAt = performance.now();
    await Promise.all([stop(), stop()]);
    const quitMs = Math.round(performance.now() - quitAt);
    assert.deepEqual(
      (await descendants(process.pid)).filter((p) => p.cmd.includes('job-host')),
      [],
    );
    const kept = new Set(await outboxTasks(paths.dataDir));
    const unaccounted = [...proxy.leased].filter(
      ([leaseId, taskId]) => !coordinator.stats.accepted.has(taskId) && !proxy.released.has(leaseId) && !kept.has(taskId),
    );
    assert.deepEqual(unaccounted, []);
    for (const [taskId, times] of coordinator.stats.accepted) assert.equal(times, 1, `task ${taskId} accepted once`);
    await assert.rejects(readFile(started.lock.file), { code: 'ENOENT' }, 'the folder is let go');
    console.log(
      `# leased ${proxy.leased.size}, accepted ${coordinator.stats.accepted.size}, given back ${proxy.released.size}, kept on disk ${kept.size}; quitting took ${quitMs} ms`,
    );
  } finally {
    await shutdown(started)();
    await proxy.close();
    await coordinator.close();
  }
});
