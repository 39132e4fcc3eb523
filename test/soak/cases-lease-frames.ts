// Leases as frames against a hostile coordinator (docs/protocol.md, "Leases as frames"): the devnet behind the hostile
// proxy spoils some lease frames (cut short, lengths that lie, bytes outside the payload, a header not JSON, a body over
// the limit, a wrong hash, bytes that do not fit the shape) among honest ones, through the network client, the
// scheduler-link and the scheduler on a real runtime. Nothing crashes, every spoiled frame costs only its own task
// (a coded lease error, or the task given back as invalid-task), and every honest task is run and paid once.
import { linkScheduler } from '../../main/core/network/scheduler-link.js';
import { MemoryLogger } from '../helpers/fakes.js';
import { DAMAGED_FRAMES, LYING_FRAMES } from '../helpers/spoiled-frames.js';
import { testDevice } from '../integration/support/network.js';
import { decided, running, testScheduler } from '../helpers/runtime-fixtures.js';
import { clean, doubles, withDevnet, type SoakCase } from './case.js';
import { HostileServer } from './hostile.js';

export const LEASE_FRAME_CASES: SoakCase[] = [
  {
    name: 'hostile lease frames among honest ones: each costs only its own task, honest tasks all paid once',
    fast: true,
    run: (size) =>
      // Short leases: a task whose frame never reached the device goes back to the pool soon.
      withDevnet({ leaseTtlMs: 2_000 }, async (net) => {
        const rounds = size === 'fast' ? 1 : 10;
        const proxy = await new HostileServer(net.url).start();
        const { client } = await testDevice(proxy.url, { leaseWaitMs: 500, maxReplyBytes: 1024 * 1024 });
        client.start(); // results go out in the background, as in the agent
        const link = linkScheduler(client, new MemoryLogger());
        const released: string[] = [];
        let settled = (): void => undefined;
        const t = await testScheduler({
          source: link.source,
          leaseRetryMs: 5,
          sink: {
            complete: (result) => link.sink.complete(result).then(() => settled()),
            release: (taskId, reason, message) =>
              link.sink.release(taskId, reason, message).then(() => {
                released.push(`${reason}: ${message}`);
                settled();
              }),
          },
        });
        const lying = Object.values(LYING_FRAMES);
        const damaged = Object.values(DAMAGED_FRAMES);
        const honest = 2 * rounds;
        try {
          // Each round: every kind of spoiled frame once, in a shuffled order; the honest leases come after them.
          for (let round = 0; round < rounds; round++) {
            const spoils = [...lying, ...damaged].map((f) => f.spoil);
            for (let i = spoils.length - 1; i > 0; i--) {
              const j = Math.floor(Math.random() * (i + 1));
              [spoils[i], spoils[j]] = [spoils[j]!, spoils[i]!];
            }
            proxy.spoilLeases.push(...spoils);
          }
          net.addTasks(honest + rounds * (lying.length + damaged.length));
          const done = new Promise<void>((resolve) => {
            settled = () => {
              const given = released.length >= rounds * lying.length;
              if (given && net.stats.accepted.size >= honest && proxy.spoilLeases.length === 0) resolve();
            };
          });
          t.scheduler.apply(decided('cpu', running({ threads: 1 })));
          await done;
          const invalid = released.filter((r) => r.startsWith('invalid-task')).length;
          const saysWhy = lying.every(({ says }) => released.some((r) => says.test(r)));
          return {
            ...clean,
            doubleCredits: doubles(net),
            ok: invalid === rounds * lying.length && saysWhy && net.stats.rejected === 0,
            outcome:
              `${rounds * (lying.length + damaged.length)} spoiled lease frames: ${rounds * damaged.length} refused as damaged replies, ` +
              `${invalid} tasks given back as invalid-task saying why; ${net.stats.accepted.size} honest results paid once`,
          };
        } finally {
          await t.scheduler.close();
          await client.close();
          await proxy.close();
        }
      }),
  },
];
