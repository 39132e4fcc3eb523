// Give-back from the user's input: a real headless agent on a real devnet coordinator with real onnxruntime job
// hosts; only the OS ports for idle time and input are fakes (FakeInputWatcher delivers like the native watcher, on
// a later event-loop turn). Input while a task runs stops its job host within that turn; the next tick keeps it
// paused although the idle source still says "away", because idle time counts from the input.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import type { AgentState } from '../../main/common/state.js';
import { DEFAULT_SETTINGS } from '../../main/common/settings.js';
import { isStopped } from '../../main/core/runtime/process-control.js';
import { shutdown, startAgent } from '../../main/core/startup.js';
import { startCoordinator } from '../../main/devnet/coordinator.js';
import { FakeInputWatcher, tempDir } from '../helpers/fakes.js';

/** This process's job hosts: its children (each thread's, Linux /proc) whose command line names the job host. */
function jobHosts(): number[] {
  const tasks = readdirSync('/proc/self/task');
  const children = tasks.flatMap((tid) =>
    readFileSync(`/proc/self/task/${tid}/children`, 'utf8').trim().split(' ').filter(Boolean).map(Number),
  );
  return children.filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('job-host');
    } catch {
      return false; // exited meanwhile
    }
  });
}

const until = (agent: { subscribe(l: (e: { type: string; state?: AgentState }) => void): () => void }, ok: (s: AgentState) => boolean) =>
  new Promise<AgentState>((resolve) => {
    const off = agent.subscribe((event) => {
      if (event.type === 'state' && event.state && ok(event.state)) {
        off();
        resolve(event.state);
      }
    });
  });

test(
  'input while a task runs: job host stopped within the event-loop turn, kept paused by the next tick',
  { timeout: 120_000 },
  async () => {
    const coordinator = await startCoordinator({ leaseTtlMs: 60_000 });
    const home = await tempDir('synor-input-');
    await mkdir(join(home, 'config'), { recursive: true });
    // Only when away (1 minute), full CPU share so the share meter never stops the host on its own.
    const settings = {
      ...DEFAULT_SETTINGS,
      sharing: true,
      cpuSharePercent: 100,
      idleOnly: { enabled: true, minutes: 1 },
      pauseWhenUserCpuAbovePercent: null,
      network: { ...DEFAULT_SETTINGS.network, coordinatorUrl: coordinator.url },
    };
    await writeFile(join(home, 'config', 'settings.json'), JSON.stringify(settings));
    const input = new FakeInputWatcher();
    const idle = { name: 'fake', idleSeconds: async () => 3600, locked: async () => false };
    const started = await startAgent({
      mode: 'headless',
      version: '0.0.0-test',
      home,
      env: { ...process.env, SYNOR_HOME: home },
      autoBenchmark: false,
      ports: () => ({ secrets: null, idle, input }),
    });
    assert.ok(started.started);
    const { agent } = started;
    try {
      assert.equal(input.watching, false, 'nothing runs yet, nothing is watched');
      const created = await agent.call({ cmd: 'walletCreate', args: { passphrase: 'correct horse battery staple' } });
      assert.ok(created.ok, JSON.stringify(created));
      await until(agent, (s) => s.work.tasks.some((task) => task.state === 'running') && input.watching);
      const pids = jobHosts();
      assert.ok(pids.length > 0, 'job hosts run');
      assert.equal(agent.state().decision?.devices.find((d) => d.deviceId === 'cpu')?.run, true);

      input.press();
      // The fake delivers on the next setImmediate turn; this one runs right after it.
      await new Promise(setImmediate);
      const cpu = agent.state().decision?.devices.find((d) => d.deviceId === 'cpu');
      assert.equal(cpu?.run, false);
      assert.ok(cpu?.reasons.some((reason) => reason.code === 'WAITING_FOR_IDLE'));
      // SIGSTOP was sent in that turn; the kernel stops the host once it next runs, which /proc shows (no event for it).
      const sent = performance.now();
      while (!pids.every((pid) => isStopped(pid)) && performance.now() - sent < 1000) await new Promise(setImmediate);
      assert.deepEqual(
        pids.map((pid) => isStopped(pid)),
        pids.map(() => true),
      );
      assert.equal(
        agent.state().work.tasks.some((task) => task.state === 'running'),
        false,
      );
      assert.equal(input.watching, false, 'nothing runs, so the watcher is off again');

      // The idle source still says an hour; the rule counts from the input, so the tick keeps the machine given back.
      await agent.tick();
      assert.equal(agent.state().decision?.devices.find((d) => d.deviceId === 'cpu')?.run, false);
    } finally {
      await shutdown(started)();
      await coordinator.close();
    }
  },
);

test(
  'where the system cannot watch input, the agent still works and the tick stays the way input is seen',
  { timeout: 120_000 },
  async () => {
    const coordinator = await startCoordinator({ leaseTtlMs: 60_000 });
    const home = await tempDir('synor-input-');
    await mkdir(join(home, 'config'), { recursive: true });
    const settings = {
      ...DEFAULT_SETTINGS,
      sharing: true,
      idleOnly: { enabled: true, minutes: 1 },
      pauseWhenUserCpuAbovePercent: null,
      network: { ...DEFAULT_SETTINGS.network, coordinatorUrl: coordinator.url },
    };
    await writeFile(join(home, 'config', 'settings.json'), JSON.stringify(settings));
    const input = new FakeInputWatcher();
    input.supported = false;
    let idleSeconds = 3600;
    const idle = { name: 'fake', idleSeconds: async () => idleSeconds, locked: async () => false };
    const started = await startAgent({
      mode: 'headless',
      version: '0.0.0-test',
      home,
      env: { ...process.env, SYNOR_HOME: home },
      autoBenchmark: false,
      ports: () => ({ secrets: null, idle, input }),
    });
    assert.ok(started.started);
    const { agent } = started;
    try {
      assert.ok((await agent.call({ cmd: 'walletCreate', args: { passphrase: 'correct horse battery staple' } })).ok);
      await until(agent, (s) => s.work.tasks.some((task) => task.state === 'running'));
      idleSeconds = 0;
      await agent.tick();
      assert.equal(agent.state().decision?.devices.find((d) => d.deviceId === 'cpu')?.run, false);
    } finally {
      await shutdown(started)();
      await coordinator.close();
    }
  },
);
