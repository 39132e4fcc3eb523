// Micro-batching through leasing (issue 32): against the devnet coordinator, whose model batches, the device holds
// enough tasks for full micro-batches (up to maxBatch a job, not 3 a host), and every result still reaches the
// coordinator exactly once; what it holds when it stops goes back. Real parts: the devnet coordinator, the network
// client, the scheduler-link and the scheduler on a real runtime.
import { linkScheduler } from '../../main/core/network/scheduler-link.js';
import { PIPELINE_DEPTH } from '../../main/core/scheduler/state.js';
import { MemoryLogger } from '../helpers/fakes.js';
import { testDevice } from '../integration/support/network.js';
import { decided, running, testScheduler, until } from '../helpers/runtime-fixtures.js';
import { clean, doubles, withDevnet, type CaseOutcome, type SoakCase } from './case.js';

/** Results to wait for before stopping. */
const RESULTS = { fast: 20, full: 150 };

export const BATCHING_CASES: SoakCase[] = [
  {
    name: 'micro-batches of devnet tasks: more than 3 held, each result accepted once',
    fast: false,
    run: (size) =>
      withDevnet({}, async (net): Promise<CaseOutcome> => {
        const { client } = await testDevice(net.url, { leaseWaitMs: 500 });
        client.start(); // results go out in the background, as in the agent
        const link = linkScheduler(client, new MemoryLogger());
        let completed = 0;
        let released = 0;
        let submitted = 0;
        let settled: () => void = () => undefined;
        client.subscribe((e) => {
          if (e.type === 'submitted' && ++submitted >= completed) settled();
        });
        const t = await testScheduler({
          source: link.source,
          sink: {
            complete: (result) => (completed++, link.sink.complete(result)),
            release: (taskId, reason, message) => (released++, link.sink.release(taskId, reason, message)),
          },
        });
        let held = 0;
        t.scheduler.onChange(() => (held = Math.max(held, t.scheduler.snapshot().tasks.length)));
        try {
          t.scheduler.apply(decided('cpu', running()));
          await until(t.scheduler, () => completed >= RESULTS[size]);
          await t.scheduler.close(); // what is held goes back ('shutdown')
          const sent = submitted >= completed ? Promise.resolve() : new Promise<void>((resolve) => (settled = resolve));
          await sent;
        } finally {
          await client.close();
        }
        const accepted = net.stats.accepted.size;
        const lost = completed - accepted;
        return {
          outcome: `${completed} results, ${accepted} accepted, ${released} given back at the stop; at most ${held} tasks held at once (before: ${PIPELINE_DEPTH})`,
          ok: lost === 0 && held > PIPELINE_DEPTH && doubles(net) === 0,
          ...clean,
          lost,
          doubleCredits: doubles(net),
        };
      }),
  },
];
