// Leasing against a hostile coordinator (a task no machine could hold, the same task again and again) and handing
// work back when the user turns sharing off. Real parts: the devnet coordinator behind a hostile proxy on 127.0.0.1,
// the network client, the scheduler-link and the scheduler on a real runtime.
import type { Task } from '../../main/common/task.js';
import { linkScheduler } from '../../main/core/network/scheduler-link.js';
import type { ResultSink } from '../../main/core/scheduler/scheduler.js';
import { MemoryLogger } from '../helpers/fakes.js';
import { leftAfter } from '../helpers/processes.js';
import { sharingOff } from '../helpers/sharing-off.js';
import { testDevice } from '../integration/support/network.js';
import { decided, running, testScheduler } from '../helpers/runtime-fixtures.js';
import { clean, doubles, withDevnet, type CaseOutcome, type SoakCase } from './case.js';
import { HostileServer } from './hostile.js';

const LEASE = '/v1/lease';
const WINDOW_MS = 15_000;

/** Rewrites each lease that carries a task. */
const onTask = (change: (task: Task) => void) => (text: string) => {
  const reply = JSON.parse(text) as { kind: string; task?: Task };
  if (reply.task) change(reply.task);
  return JSON.stringify(reply);
};

/**
 * The device as the agent wires it (network client → scheduler-link → scheduler on a real runtime) on the devnet
 * behind a hostile proxy; `released` settles with the first task it gives back, once the coordinator was told.
 */
async function device(proxy: HostileServer) {
  const { client } = await testDevice(proxy.url, { leaseWaitMs: 500 });
  client.start(); // results go out in the background, as in the agent
  const link = linkScheduler(client, new MemoryLogger());
  let told: (release: { reason: string; message: string }) => void = () => undefined;
  const released = new Promise<{ reason: string; message: string }>((resolve) => (told = resolve));
  const sink: ResultSink = {
    complete: link.sink.complete,
    release: async (taskId, reason, message) => {
      await link.sink.release(taskId, reason, message);
      told({ reason, message });
    },
  };
  const t = await testScheduler({ source: link.source, sink });
  return { client, t, released };
}

export const LEASING_CASES: SoakCase[] = [
  {
    name: 'task that can never fit (MAX_SAFE_INTEGER memory)',
    fast: true,
    run: () =>
      withDevnet({}, async (net) => {
        const proxy = await new HostileServer(net.url).start();
        proxy.rewrite.set(
          LEASE,
          onTask((task) => void (task.memoryEstimateBytes = Number.MAX_SAFE_INTEGER)),
        );
        const { client, t, released } = await device(proxy);
        try {
          let leasedAt = 0;
          client.subscribe((e) => void (e.type === 'leased' && !leasedAt && (leasedAt = performance.now())));
          t.scheduler.apply(decided('cpu', running({ memoryBudgetBytes: 4 * 1024 ** 3 })));
          const { reason, message } = await released;
          const ms = performance.now() - leasedAt;
          const held = client.status().activeLeases;
          const told = net.stats.releases.includes('invalid-task');
          return {
            ...clean,
            ok: reason === 'invalid-task' && held === 0 && told,
            outcome: `given back in ${ms.toFixed(0)} ms as ${reason} ("${message}"), leases held after: ${held}; before the fix it sat queued, its lease held until its deadline`,
          };
        } finally {
          await t.scheduler.close();
          await client.close();
          await proxy.close();
        }
      }),
  },
  {
    name: 'coordinator repeating one task id',
    fast: false,
    run: () =>
      withDevnet({}, async (net) => {
        const proxy = await new HostileServer(net.url).start();
        // The first task it hands out, handed out again for every lease after it (the same lease, word for word).
        let first: string | undefined;
        proxy.rewrite.set(LEASE, (text) => (first ??= (JSON.parse(text) as { kind: string }).kind === 'task' ? text : undefined) ?? text);
        const { client, t } = await device(proxy);
        let pids: number[] = [];
        let outcome: CaseOutcome;
        try {
          t.scheduler.onChange(() => (pids = [...new Set([...pids, ...t.scheduler.snapshot().lanes.flatMap((lane) => lane.pids)])]));
          t.scheduler.apply(decided('cpu', running()));
          // The window the testers measured; the scheduler leases as it likes meanwhile.
          await new Promise((resolve) => setTimeout(resolve, WINDOW_MS));
          const leases = proxy.count(LEASE);
          const runs = proxy.count('/v1/submit');
          const held = client.status().activeLeases;
          outcome = {
            ...clean,
            doubleCredits: doubles(net),
            ok: leases <= 10 && runs === 1 && held <= 1,
            outcome: `${leases} lease requests in ${WINDOW_MS / 1000} s (before the back-off: 253), the task run ${runs}× (before: 65×), leases held at the end: ${held} (at most its own, until the coordinator says it is done)`,
          };
        } finally {
          await t.scheduler.close();
          await client.close();
          await proxy.close();
        }
        const { left } = await leftAfter(pids);
        return { ...outcome, orphans: left, ok: outcome.ok && left === 0 };
      }),
  },
  {
    name: 'sharing off releases held tasks',
    fast: false,
    run: async () => {
      const r = await sharingOff();
      const { left } = await leftAfter(r.pids);
      const back = r.outcomes.filter((reason) => reason === 'policy-pause').length;
      return {
        ...clean,
        orphans: left,
        ok: back === r.outcomes.length && r.heldAfter === 0 && r.givenBackAtKeyboard === 0 && left === 0,
        outcome: `tasks held after sharing off: ${r.heldAfter} (before: all 3, until maxPauseMs); all ${back} given back in ${r.ms.toFixed(0)} ms; at the keyboard they were stopped and kept (${r.atKeyboard.join(', ')})`,
      };
    },
  },
];
