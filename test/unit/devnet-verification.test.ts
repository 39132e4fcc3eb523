// The devnet's verification policy, task sizing and bandwidth rule (docs/protocol.md, "Verification", "Task size",
// "Bandwidth"): the pure rules, and the real coordinator over loopback with a clock the test holds.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Wallet } from 'ethers';
import type { Task } from '../../main/common/task.js';
import { startCoordinator, type Coordinator, type CoordinatorOptions } from '../../main/devnet/coordinator.js';
import { Pace, START_GFLOPS } from '../../main/devnet/pace.js';
import { DeviceRegistry } from '../../main/devnet/registry.js';
import { seededRandom } from '../../main/devnet/random.js';
import { devnetModels } from '../../main/devnet/tasks.js';
import { afterCheck, checkRate, HALVING_EVERY, newTrust, quarantineMs, quarantineRefusal } from '../../main/devnet/verification.js';
import { epochsOf, post, receiptsOf, registerNew, signedRegistration, submit, zeros } from '../helpers/devnet-raw.js';
import { tempDir } from '../helpers/fakes.js';
import { cpuDevice, runWithOrt } from '../integration/support/network.js';

const closers: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const close of closers.reverse()) await close();
});

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 11, 7, 12, 0);
const FLOPS_PER_ROW = devnetModels()[0]!.flopsPerRow;
/** The most rows a task made at `gflops` can have (500 ms of work). */
const maxRows = (gflops: number): number => Math.round((500 * gflops * 1e6) / FLOPS_PER_ROW);

/** A devnet whose clock stands still unless the test moves it, and whose draws replay. */
async function devnet(options: CoordinatorOptions = {}): Promise<Coordinator & { clock: { at: number } }> {
  const clock = { at: Date.now() };
  const net = await startCoordinator({ clock: { now: () => clock.at }, random: seededRandom(7), verifyRate: 0.05, ...options });
  closers.push(() => net.close());
  return Object.assign(net, { clock });
}

/** A lease reply, either kind, as the fields a test reads. */
const lease = async (net: Coordinator, token: string) =>
  (await post(net.url, 'v1/lease', { waitMs: 0, resource: 'cpu' }, token)).json as {
    kind: string;
    leaseId: string;
    task: Task;
    message: string;
  };

test(
  'a new device is checked every time, half as often after each 32 right in a row, never under the floor; a wrong one starts over and pauses it',
  { timeout: 10_000 },
  () => {
    let trust = newTrust();
    const rates: number[] = [];
    for (let i = 0; i < 6 * HALVING_EVERY; i++) {
      if (i % HALVING_EVERY === 0) rates.push(checkRate(trust, 0.05));
      trust = afterCheck(trust, true, 0, T0);
    }
    assert.deepEqual(rates, [1, 0.5, 0.25, 0.125, 0.0625, 0.05]);
    assert.equal(checkRate(trust, 0.05), 0.05, 'the floor holds however long the record');
    assert.equal(checkRate(trust, 0), 0, '0: nothing is checked (benches)');
    assert.equal(checkRate(trust, 1), 1);

    const wrong = afterCheck(trust, false, 1, T0);
    assert.equal(checkRate(wrong, 0.05), 1, 'back to every result');
    assert.equal(wrong.quarantinedUntil, T0 + HOUR);
    assert.deepEqual([2, 3, 4, 20].map(quarantineMs), [2 * HOUR, 4 * HOUR, 8 * HOUR, 7 * 24 * HOUR], 'doubling, at most a week');

    const refusal = quarantineRefusal(wrong, T0 + 60_000);
    assert.equal(refusal?.reason, 'not-eligible');
    assert.match(refusal?.message ?? '', /no work for about an hour \(until 13:00 UTC\)/);
    assert.doesNotMatch(refusal?.message ?? '', /quarantin|streak|verifyRate|[A-Z]{5,}/, 'plain words, no internal names');
    assert.equal(quarantineRefusal(wrong, T0 + HOUR), null, 'over after its time');
  },
);

test(
  "the doc's arithmetic: a device that earned the 5 % floor and then cheats gets about 19 wrong results through before it is caught",
  { timeout: 10_000 },
  () => {
    const random = seededRandom(2027);
    const cycles = 2_000;
    let slipped = 0;
    for (let c = 0; c < cycles; c++) {
      let trust = newTrust();
      while (checkRate(trust, 0.05) > 0.05) trust = afterCheck(trust, true, 0, T0);
      while (random() >= checkRate(trust, 0.05)) slipped++;
    }
    const mean = slipped / cycles;
    // (1 − f) / f = 19 for f = 5 %; 2,000 cycles put the mean within about ±1 of it.
    assert.ok(mean > 17.5 && mean < 20.5, `${mean} wrong results through per catch`);
  },
);

test(
  'pace grows only from verified results, at most ×2 a step; unverified results can only lower it; a wrong one starts it over',
  { timeout: 10_000 },
  () => {
    const pace = new Pace();
    const boaster = { ...cpuDevice, compute: { ...cpuDevice.compute, fp32Gflops: 1e6 }, deviceId: 'd', owner: '0x0' };
    assert.equal(pace.of('d', boaster), START_GFLOPS, 'what a device registers does not make its first tasks large');
    const huge = 10n ** 15n;
    pace.observe('d', boaster, huge, 1, false);
    assert.equal(pace.of('d', boaster), START_GFLOPS, 'instant unchecked results buy nothing');
    for (const want of [40, 80, 160]) {
      pace.observe('d', boaster, huge, 1, true);
      assert.equal(pace.of('d', boaster), want, 'a verified result doubles it at most');
    }
    pace.observe('d', boaster, 10n ** 9n, 1_000, false);
    assert.equal(pace.of('d', boaster), 80.5, 'a slow result lowers it, checked or not: halfway to 1 GFLOPS');
    pace.reset('d');
    assert.equal(pace.of('d', boaster), START_GFLOPS);
  },
);

test("on the devnet: a new device's tasks start small and grow at most ×2 per verified result", { timeout: 120_000 }, async () => {
  // Every result is checked; the clock stands still, so each result looks instant.
  const net = await devnet({ verifyRate: 1 });
  const { token } = await registerNew(net, net.clock.at);
  let gflops = START_GFLOPS;
  for (let step = 0; step < 4; step++) {
    const { leaseId, task } = await lease(net, token);
    const rows = task.inputs['X']!.shape[0]!;
    assert.ok(rows <= maxRows(gflops), `step ${step}: ${rows} rows, at most ${maxRows(gflops)}`);
    assert.equal((await submit(net.url, leaseId, await runWithOrt(task), token)).json['status'], 'accepted');
    gflops *= 2;
  }
  const { task } = await lease(net, token);
  assert.ok(task.inputs['X']!.shape[0]! > maxRows(START_GFLOPS), 'four verified results later its tasks are larger');
  assert.ok((await receiptsOf(net, token)).every((r) => r.status === 'verified'));
});

test(
  'a wrong result forfeits the open epoch (its right results too), pauses the device with a plain reason, and after the pause every result is checked again',
  { timeout: 120_000 },
  async () => {
    const net = await devnet({ epochMs: 60_000 });
    const { token } = await registerNew(net, net.clock.at);
    // A right result, fetched at once: a new device's first epoch is sealed at once, and stays paid.
    const first = await lease(net, token);
    await submit(net.url, first.leaseId, await runWithOrt(first.task), token);
    const sealed = await receiptsOf(net, token);
    assert.deepEqual(
      sealed.map((r) => [r.resourceType, r.status]),
      [
        ['cpu', 'verified'],
        ['bandwidth', 'verified'],
      ],
    );
    // Another right one in the next epoch, then zeros.
    const second = await lease(net, token);
    await submit(net.url, second.leaseId, await runWithOrt(second.task), token);
    const third = await lease(net, token);
    assert.equal((await submit(net.url, third.leaseId, zeros(third.task), token)).json['status'], 'accepted');

    const refused = await lease(net, token);
    assert.equal(refused.kind, 'none');
    assert.match(refused.message, /wrong.*no work for about an hour/);
    net.clock.at += 2 * 60_000;
    const receipts = await receiptsOf(net, token);
    assert.deepEqual(
      receipts.slice(sealed.length).map((r) => [r.taskId, r.status, r.totalWei]),
      [
        [second.task.id, 'rejected', '0'],
        [third.task.id, 'rejected', '0'],
      ],
      'the right result of the open epoch is forfeited with the wrong one, and its transfers are not paid',
    );
    assert.equal(
      receipts
        .slice(0, sealed.length)
        .map((r) => r.totalWei)
        .join(),
      sealed.map((r) => r.totalWei).join(),
      'sealed epochs stay paid',
    );
    assert.equal((await epochsOf(net, token)).length, 2);

    // An hour later it leases again and its results are all checked.
    net.clock.at += HOUR;
    const back = await lease(net, token);
    assert.equal(back.kind, 'task');
    assert.ok(back.task.inputs['X']!.shape[0]! <= maxRows(START_GFLOPS), 'its tasks are small again');
    assert.equal((await submit(net.url, back.leaseId, zeros(back.task), token)).json['status'], 'accepted');
    const again = await lease(net, token);
    assert.match(again.message, /no work for about 2 hours/, 'a second wrong result in 30 days: twice as long');
  },
);

test(
  'bandwidth: a model is paid once per device however often it is fetched; a wrong result pays no transfers',
  { timeout: 120_000 },
  async () => {
    const net = await devnet({ verifyRate: 1, epochMs: 0 });
    const { token } = await registerNew(net, net.clock.at);
    /** Leases, downloads the model `downloads` times, submits a right result: the bytes moved, and paid beyond the replies. */
    const paidFor = async (downloads: number): Promise<{ moved: number; paid: number; forModel: number; size: number }> => {
      const reply = await post(net.url, 'v1/lease', { waitMs: 0, resource: 'cpu' }, token);
      const { leaseId, task } = reply.json as { leaseId: string; task: Task };
      let model = 0;
      for (let i = 0; i < downloads; i++) model += (await (await fetch(task.model.url)).arrayBuffer()).byteLength;
      const sent = await submit(net.url, leaseId, await runWithOrt(task), token);
      const bandwidth = (await epochsOf(net, token)).at(-1)!.receipts.find((r) => r.resourceType === 'bandwidth')!;
      const paid = Number(bandwidth.units);
      return { moved: reply.bytes + sent.bytes + model, paid, forModel: paid - reply.bytes - sent.bytes, size: task.model.size };
    };
    const first = await paidFor(21);
    console.log(`bandwidth: 21 downloads of the model through one lease moved ${first.moved} bytes, paid ${first.paid}`);
    assert.equal(first.forModel, first.size, 'the model once, the lease reply and the result');
    const second = await paidFor(3);
    assert.equal(second.forModel, 0, 'a later lease pays no model again');

    const cheat = await post(net.url, 'v1/lease', { waitMs: 0, resource: 'cpu' }, token);
    const { leaseId, task } = cheat.json as { leaseId: string; task: Task };
    await (await fetch(task.model.url)).arrayBuffer();
    await submit(net.url, leaseId, zeros(task), token);
    const last = (await epochsOf(net, token)).at(-1)!.receipts;
    assert.deepEqual(
      last.map((r) => [r.resourceType, r.status, r.totalWei]),
      [['cpu', 'rejected', '0']],
    );
  },
);

test(
  'a forfeit survives a restart: the receipt log gives back the open epoch as forfeited, and the pause is kept',
  { timeout: 120_000 },
  async () => {
    const stateFile = join(await tempDir(), 'devnet', 'coordinator.json');
    const net = await devnet({ stateFile, epochMs: 60_000 });
    const { token } = await registerNew(net, net.clock.at);
    for (const made of [runWithOrt, zeros]) {
      const { leaseId, task } = await lease(net, token);
      await submit(net.url, leaseId, await made(task), token);
    }
    await net.close();
    const again = await devnet({ stateFile, epochMs: 60_000, port: Number(new URL(net.url).port) });
    again.clock.at = net.clock.at;
    assert.match((await lease(again, token)).message, /no work for about an hour/);
    again.clock.at += 2 * 60_000;
    // Sealed now, from the receipts logged before the restart: the device checks the epoch's root and signature.
    assert.deepEqual(
      (await receiptsOf(again, token)).map((r) => [r.resourceType, r.status, r.totalWei]),
      [
        ['cpu', 'rejected', '0'],
        ['cpu', 'rejected', '0'],
      ],
    );
  },
);

test(
  'registering again while a result is being checked keeps one record: one receipt numbering, one record with the checks',
  { timeout: 10_000 },
  async () => {
    // The agent registers again when its benchmark finishes, often while its first result is being checked. A copied
    // record gave two receipts the number 1: the device then refused the epoch, and earned nothing it could see.
    const registry = await DeviceRegistry.open({ stateFile: null, clock: { now: Date.now }, chainId: 31337, presenceGapMs: 35_000 });
    const owner = Wallet.createRandom();
    const sign = (issuedAt: number) => signedRegistration(registry.wallet, owner, owner, { deviceId: 'dev-again', issuedAt });
    const { device: held } = await registry.register(await sign(Date.now() - 1_000));
    const { device: now } = await registry.register(await sign(Date.now()));
    held.nextSeq++;
    held.trust = afterCheck(held.trust, true, 0, Date.now());
    assert.equal(now, held, 'the record a check in flight holds is the one later results use');
    assert.equal(registry.devices.get('dev-again')?.nextSeq, 2);
    assert.equal(registry.devices.get('dev-again')?.trust.streak, 1);
  },
);
