// Pay is for what ran (docs/protocol.md, "Lease, heartbeat, release"): the lease decides the rate, so a GPU machine
// whose GPU lanes are all out leases processor work for its processor, and that work is paid as processor work, at
// the CPU rate; what the result says ran it never changes the pay. The scheduler's side (it asks for processor work
// once no GPU lane is in service) is in test/integration/scheduler.test.ts.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { RATE_WEI } from '../../main/core/economics/rewards.js';
import { startCoordinator } from '../../main/devnet/coordinator.js';
import { receiptsIn } from '../helpers/ledger.js';
import { cpuDevice, quickResult, testDevice } from './support/network.js';

const closers: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const close of closers.reverse()) await close();
});

test(
  'a GPU machine is paid the GPU rate for GPU leases and the CPU rate for processor leases, whatever ran them',
  { timeout: 120_000 },
  async () => {
    // Every result paid unchecked and every fetch sealing the epoch: the pay of each lease, at once.
    const net = await startCoordinator({ verifyRate: 0, epochMs: 0 });
    closers.push(() => net.close());
    const gpuMachine = { ...cpuDevice, deviceType: { kind: 'consumer-gpu' as const, model: 'Test GPU', vramGb: 8 } };
    const { client, ledger } = await testDevice(net.url, { device: gpuMachine });
    closers.push(() => client.close());

    const leased = { gpu: await client.lease(), cpu: await client.lease(undefined, 'cpu') };
    for (const [resource, outcome] of Object.entries(leased)) {
      assert.ok(outcome.kind === 'task', `${resource}: ${JSON.stringify(outcome)}`);
      assert.equal(outcome.task.device, resource, 'the devnet hands out work made for the resource leased');
      // Both ran on the processor, and say so: the lease alone decides.
      await client.complete(outcome.leaseId, quickResult(outcome.task));
    }
    assert.equal(await client.flush(), 0);
    await client.syncReceipts();
    const receipts = await receiptsIn(ledger);
    for (const resource of ['gpu', 'cpu'] as const) {
      const outcome = leased[resource];
      const receipt = receipts.find((r) => outcome.kind === 'task' && r.taskId === outcome.task.id);
      assert.ok(receipt, `a receipt for the ${resource} lease`);
      assert.equal(receipt.resourceType, resource);
      const rate = RATE_WEI[resource];
      assert.equal(BigInt(receipt.baseWei), (BigInt(receipt.units) * rate.num) / rate.den, `${resource} work at the ${resource} rate`);
    }
  },
);
