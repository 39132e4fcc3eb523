// The scheduler-link against a coordinator that hands out a task this device holds, or has finished, again: the
// scheduler never sees it twice, and a new lease for it goes straight back. The devnet in this process, behind the
// soak suite's hostile proxy, which rewrites its lease answers.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { LeaseReply } from '../../main/common/protocol.js';
import { linkScheduler } from '../../main/core/network/scheduler-link.js';
import { startCoordinator } from '../../main/devnet/coordinator.js';
import { MemoryLogger } from '../helpers/fakes.js';
import { quickResult, testDevice } from '../integration/support/network.js';
import { HostileServer } from '../soak/hostile.js';

const closers: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const close of closers.reverse()) await close();
});

test('a task leased again is not handed to the scheduler twice; a second lease for it is given back', { timeout: 60_000 }, async () => {
  const devnet = await startCoordinator({ taskIntervalMs: null, maxLeaseWaitMs: 100 });
  closers.push(() => devnet.close());
  const proxy = await new HostileServer(devnet.url).start();
  closers.push(() => proxy.close());
  // The first task the devnet hands out comes back for every later lease, under the lease id `leaseId` says.
  let first: Extract<LeaseReply, { kind: 'task' }> | undefined;
  let leaseId = (id: string): string => id;
  proxy.rewrite.set('/v1/lease', (text) => {
    const reply = JSON.parse(text) as LeaseReply;
    if (reply.kind === 'task') first ??= reply;
    return first ? JSON.stringify({ ...first, leaseId: leaseId(first.leaseId) }) : text;
  });
  const { client } = await testDevice(proxy.url, { leaseWaitMs: 100 });
  closers.push(() => client.close());
  const logger = new MemoryLogger();
  const link = linkScheduler(client, logger);
  devnet.addTasks(1);
  const [task] = await link.source.lease(3, 'cpu');
  assert.ok(task);

  // The same lease, word for word: nothing new is held, nothing to give back.
  assert.deepEqual(await link.source.lease(3, 'cpu'), []);
  assert.equal(proxy.count('/v1/release'), 0);
  assert.equal(client.status().activeLeases, 1, 'one lease, one heartbeat');

  // The same task under a new lease id: that lease goes straight back.
  leaseId = (id) => `${id}-again`;
  assert.deepEqual(await link.source.lease(3, 'cpu'), []);
  assert.equal(proxy.count('/v1/release'), 1);
  assert.equal(client.status().activeLeases, 1);

  // Its result sent, the task comes again: under its own lease it is let be (the result is on its way under it); under
  // a new one, that lease goes back. Either way it is not run twice.
  await link.sink.complete(quickResult(task));
  leaseId = (id) => id;
  assert.deepEqual(await link.source.lease(3, 'cpu'), []);
  assert.equal(proxy.count('/v1/release'), 1);
  leaseId = (id) => `${id}-later`;
  assert.deepEqual(await link.source.lease(3, 'cpu'), []);
  assert.equal(proxy.count('/v1/release'), 2);
  assert.deepEqual(logger.lines, []);
});
