// Epochs on the real devnet coordinator and client: a new device's first earnings come at once, later ones once a
// minute in one signature, and a devnet restarted mid-epoch seals the receipts it had logged, none lost or doubled.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { startCoordinator } from '../../main/devnet/coordinator.js';
import { tempDir } from '../helpers/fakes.js';
import { receiptsIn, recordsOf } from '../helpers/ledger.js';
import { leaseOne, quickResult, testDevice } from '../integration/support/network.js';

test(
  'the first epoch is sealed at once, the next only when its first receipt is a minute old; a restart mid-epoch keeps its receipts',
  { timeout: 60_000 },
  async () => {
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
    assert.deepEqual(
      epochs.map((e) => [e.signed.epoch.firstSeq, e.signed.epoch.lastSeq]),
      [
        [1, 2],
        [3, 5],
      ],
    );
    assert.deepEqual(
      (await receiptsIn(ledger)).map((r) => r.resourceType),
      ['cpu', 'bandwidth', 'cpu', 'cpu', 'bandwidth'],
    );
    assert.equal(ledger.sums.total().pendingTasks, 0);
    assert.equal(ledger.sums.summary().total.receipts, 5);

    // A verifier written from docs/protocol.md alone agrees with every epoch, and notices one changed receipt.
    const receipts = await receiptsIn(ledger);
    const bundles = epochs.map(({ signed }) => ({
      ...signed,
      receipts: receipts.map(({ source: _, ...r }) => r).filter((r) => r.seq >= signed.epoch.firstSeq && r.seq <= signed.epoch.lastSeq),
    }));
    const verify = (input: unknown) =>
      spawnSync('python3', ['test/fixtures/verify-receipts.py'], { input: JSON.stringify(input), encoding: 'utf8' });
    const checked = verify(bundles);
    assert.equal(checked.status, 0, checked.stdout + checked.stderr);
    const bent = structuredClone(bundles);
    bent[1]!.receipts[0]!.taskId = 'another-task';
    const refused = verify(bent);
    assert.equal(refused.status, 1);
    assert.match(refused.stdout, /epoch 3-5: its receipts do not give its root/);
    await client.close();
    await net.close();
  },
);
