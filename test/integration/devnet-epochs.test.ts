// Epochs on the real devnet coordinator and client: a new device's first earnings come at once, later ones once a
// minute in one signature, and a devnet restarted mid-epoch seals the receipts it had logged, none lost or doubled.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { Wallet } from 'ethers';
import { startCoordinator } from '../../main/devnet/coordinator.js';
import { openPayouts } from '../../main/devnet/payouts.js';
import { ReceiptIssuer } from '../../main/devnet/receipt-issuer.js';
import { DeviceRegistry } from '../../main/devnet/registry.js';
import { UnfetchedEpochs } from '../../main/devnet/unfetched-receipts.js';
import { tempDir } from '../helpers/fakes.js';
import { receiptsIn, recordsOf } from '../helpers/ledger.js';
import { leaseOne, quickResult, testDevice } from '../integration/support/network.js';
import { signedRegistration } from '../helpers/devnet-raw.js';

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

test(
  'a seal asked for while a wrong result forfeits the open epoch waits for it: no receipt is signed paid and logged rejected',
  { timeout: 30_000 },
  async () => {
    const file = join(await tempDir(), 'receipts.jsonl');
    const signer = new Wallet(Wallet.createRandom().privateKey);
    const { payouts, open } = await openPayouts({ file, signer, now: Date.now });
    const unfetched = new UnfetchedEpochs();
    const issuer = new ReceiptIssuer({
      wallet: signer,
      chainId: 31337,
      clock: { now: Date.now },
      payouts,
      unfetched,
      open,
      availabilityReceiptMs: 600_000,
      epochMs: 0,
    });
    // A device as the coordinator registers one.
    const registry = await DeviceRegistry.open({ stateFile: null, clock: { now: Date.now }, chainId: 31337, presenceGapMs: 35_000 });
    const owner = Wallet.createRandom();
    const { device } = await registry.register(await signedRegistration(registry.wallet, owner, owner, { deviceId: 'dev-f' }));
    await issuer.issue('dev-f', device, { taskId: 't1', resourceType: 'cpu', status: 'verified', durationMs: 10, units: 10n ** 9n });
    await issuer.issue(
      'dev-f',
      device,
      { taskId: 't2', resourceType: 'cpu', status: 'unverified', durationMs: 10, units: 10n ** 9n },
      () => false,
    );
    // Both asked at once, as a submit's wrong result and another request's fetch of receipts may be.
    await Promise.all([issuer.forfeit('dev-f', device), issuer.sealIfDue('dev-f', device, () => true)]);
    const sealed = unfetched.receiptsOf('dev-f');
    assert.deepEqual(
      sealed.map((r) => [r.seq, r.status]),
      [
        [1, 'rejected'],
        [2, 'rejected'],
      ],
    );
    assert.equal(open.get('dev-f')?.length ?? 0, 0, 'nothing sealed is left open to be sealed again');
    const again = await openPayouts({ file, signer, now: Date.now });
    assert.equal(again.open.get('dev-f')?.length ?? 0, 0, 'and the log, read back, agrees');
    assert.deepEqual(
      again.earlier.flatMap((b) => b.receipts.map((r) => r.status)),
      ['rejected', 'rejected'],
    );
  },
);
