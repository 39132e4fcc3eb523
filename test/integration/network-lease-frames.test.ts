// Leases as frames (docs/protocol.md): the real client against the real devnet coordinator over loopback. A task's
// input comes as raw bytes with its hash, runs and is paid verified; a coordinator from before frames is leased from
// as ever; and hostile frames through a proxy (a wrong hash, bytes that do not fit the shape, a frame cut short, lengths
// that lie, bytes outside the payload, a header that is not JSON, a body over the limit) end in a coded error or a task given back as invalid, through the real scheduler and
// runtime, with the honest tasks beside them run and accepted.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, test } from 'node:test';
import { linkScheduler } from '../../main/core/network/scheduler-link.js';
import { NetworkError } from '../../main/core/network/http.js';
import { startCoordinator, type Coordinator } from '../../main/devnet/coordinator.js';
import { MemoryLogger } from '../helpers/fakes.js';
import { decided, running, testScheduler } from '../helpers/runtime-fixtures.js';
import { HostileServer } from '../soak/hostile.js';
import { DAMAGED_FRAMES, LYING_FRAMES } from '../helpers/spoiled-frames.js';
import { runWithOrt, testDevice } from './support/network.js';

const closers: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const close of closers.reverse()) await close();
});

async function devnet(): Promise<Coordinator> {
  const coordinator = await startCoordinator({ taskIntervalMs: null, verifyRate: 1, epochMs: 0 });
  closers.push(() => coordinator.close());
  return coordinator;
}

async function device(url: string, extra: Parameters<typeof testDevice>[1] = {}) {
  const made = await testDevice(url, extra);
  closers.push(() => made.client.close());
  return made;
}

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

test('a lease comes as a frame: the input as raw bytes with its hash, run, paid verified', { timeout: 120_000 }, async () => {
  const net = await devnet();
  const { client, ledger } = await device(net.url);
  await client.connect();
  net.addTasks(1);
  const outcome = await client.lease();
  assert.ok(outcome.kind === 'task');
  const x = outcome.task.inputs['X'];
  assert.ok(x?.kind === 'bytes', `X came as ${x?.kind}`);
  assert.equal(sha256(x.data), x.sha256);
  assert.equal(x.data.byteLength, (x.shape[0] ?? 0) * 16 * 4);
  await client.complete(outcome.leaseId, await runWithOrt(outcome.task));
  assert.equal(await client.flush(), 0);
  assert.equal(net.stats.accepted.get(outcome.task.id), 1);
  await client.syncReceipts();
  const { receiptsIn } = await import('../helpers/ledger.js');
  const receipt = (await receiptsIn(ledger)).find((r) => r.taskId === outcome.task.id && r.resourceType === 'cpu');
  assert.equal(receipt?.status, 'verified');
});

test('a coordinator from before frames (no leaseFrames in its info) is leased from with JSON, as ever', { timeout: 120_000 }, async () => {
  const net = await devnet();
  const old = await new HostileServer(net.url).start();
  closers.push(() => old.close());
  old.rewrite.set('/v1/info', (text) => {
    const { leaseFrames, ...info } = JSON.parse(text) as Record<string, unknown>;
    assert.equal(leaseFrames, true);
    return JSON.stringify(info);
  });
  const { client } = await device(old.url);
  await client.connect();
  net.addTasks(1);
  const outcome = await client.lease();
  assert.ok(outcome.kind === 'task');
  assert.equal(outcome.task.inputs['X']?.kind, 'inline');
  await client.complete(outcome.leaseId, await runWithOrt(outcome.task));
  assert.equal(await client.flush(), 0);
  assert.equal(net.stats.accepted.get(outcome.task.id), 1);
});

test(
  'hostile lease frames end in a coded error or a task given back as invalid; honest ones beside them run and are paid',
  { timeout: 300_000 },
  async () => {
    const net = await devnet();
    const proxy = await new HostileServer(net.url).start();
    closers.push(() => proxy.close());
    // A lease reply is allowed 1 MiB here, so a body past it is refused before it is read.
    const { client } = await device(proxy.url, { maxReplyBytes: 1024 * 1024, leaseWaitMs: 200 });
    await client.connect();

    // Straight through the client: the frame itself is damaged, so the lease is a coded error and nothing is held.
    for (const [name, { spoil, code }] of Object.entries(DAMAGED_FRAMES)) {
      net.addTasks(1);
      proxy.spoilLeases.push(spoil);
      const error: unknown = await client.lease().then(
        () => null,
        (e: unknown) => e,
      );
      assert.ok(error instanceof NetworkError && error.code === code, `${name}: ${String(error)}`);
    }

    // Through the scheduler and the runtime: the frame is whole, its input is not what it says: given back, invalid.
    const link = linkScheduler(client, new MemoryLogger());
    let settled = (): void => undefined;
    const released: string[] = [];
    const t = await testScheduler({
      source: link.source,
      leaseRetryMs: 5,
      sink: {
        complete: (result) => link.sink.complete(result).then(() => settled()),
        release: (taskId, reason, message) =>
          link.sink.release(taskId, reason, message).then(() => {
            released.push(message);
            settled();
          }),
      },
    });
    closers.push(() => t.scheduler.close());
    proxy.spoilLeases.push(...Object.values(LYING_FRAMES).map((f) => f.spoil));
    net.addTasks(4);
    const done = new Promise<void>((resolve) => (settled = () => void (released.length >= 2 && net.stats.accepted.size >= 2 && resolve())));
    client.start(); // results are sent by the client's own loop, as in the agent
    t.scheduler.apply(decided('cpu', running({ threads: 1 })));
    await done;
    for (const { says } of Object.values(LYING_FRAMES)) assert.match(released.join('\n'), says);
    assert.deepEqual(net.stats.releases, ['invalid-task', 'invalid-task']);
    assert.equal(net.stats.rejected, 0);
    assert.equal(net.stats.accepted.size, 2);
  },
);
