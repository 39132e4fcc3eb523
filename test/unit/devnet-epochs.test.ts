// Epochs on the real devnet coordinator and client: a new device's first earnings come at once, later ones once a
// minute in one signature, and a devnet restarted mid-epoch seals the receipts it had logged, none lost or doubled.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { startCoordinator } from '../../main/devnet/coordinator.js';
import { tempDir } from '../helpers/fakes.js';
import { receiptsIn, recordsOf } from '../helpers/ledger.js';
import { leaseOne, quickResult, testDevice } from '../integration/support/network.js';

test('the first epoch is sealed at once, the next only when its first receipt is a minute old; a restart mid-epoch keeps its receipts', { timeout: 60_000 }, async () => {
  const state = join(await tempDir(), 'devnet.json');
  let shift = 0;
  const clock = { now: () => Date.now() + shift };
  const options = { clock, stateFile: state, taskIntervalMs: null, verifyRate: 0, epochMs: 60_000 };
  let net = await startCoordinator(options);
  const { client, ledger } = await testDevice(net.url, { leaseWaitMs: 100 });
  const work = async (): Promise<void> => {
    net.addTasks(1);
    const { leaseId, task } = await leaseOne(client);
    await client.complete(leaseId, quickResult(task));
    assert.equal(await client.flush(), 0);
  };

  await work();
  assert.equal(await client.syncReceipts(), 2, 'first earnings at once: the task and its transfers');
  await work();
  await work();
  assert.equal(await client.syncReceipts(), 0, 'the second epoch is still open');
  assert.equal(ledger.sums.total().pendingTasks, 2, 'shown as pending meanwhile');

  // The devnet stops with two receipts in the open epoch and comes back a minute later.
  await net.close();
  shift = 60_000;
  net = await startCoordinator({ ...options, port: Number(new URL(net.url).port) });
  assert.equal(await client.syncReceipts(), 3, 'both tasks and one bandwidth receipt for their transfers, in one epoch');
  const epochs = await recordsOf(ledger);
  assert.deepEqual(epochs.map((e) => [e.signed.epoch.firstSeq, e.signed.epoch.lastSeq]), [[1, 2], [3, 5]]);
  assert.deepEqual((await receiptsIn(ledger)).map((r) => r.resourceType), ['cpu', 'bandwidth', 'cpu', 'cpu', 'bandwidth']);
  assert.equal(ledger.sums.total().pendingTasks, 0);
  assert.equal(ledger.sums.summary().total.receipts, 5);
  await client.close();
  await net.close();
});
