// Cheating does not pay (docs/protocol.md, "Verification"): a cheating raw client (zero-filled outputs submitted at
// once, the model fetched again and again, a fresh identity whenever it is shut out) beside an honest device (the real
// network client, tasks run with onnxruntime) on one devnet, for more than five minutes of the coordinator's clock,
// which the test moves on between rounds so the run takes about a minute.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { InfoReplySchema, LeaseReplySchema, type Receipt } from '../../main/common/protocol.js';
import { startCoordinator, type Coordinator } from '../../main/devnet/coordinator.js';
import { seededRandom } from '../../main/devnet/random.js';
import { call, receiptsOf, registerNew, submit, zeros } from '../helpers/devnet-raw.js';
import { receiptsIn } from '../helpers/ledger.js';
import { leaseOne, runWithOrt, testDevice } from './support/network.js';

const closers: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const close of closers.reverse()) await close();
});

const RUN_MS = 5 * 60_000;
const STEP_MS = 5_000;
/** Model downloads the cheater makes per task: the whole model again each time, to be paid for bytes. */
const REFETCHES = 5;

/** A contributor written from the protocol alone, that never computes anything. */
class Cheater {
  readonly identities: { deviceId: string; token: string }[] = [];
  readonly refusals: string[] = [];
  submitted = 0;

  constructor(private readonly net: Coordinator) {}

  /** A new device id and owner, signed at the coordinator's time (the clock the test moves on). */
  private async register(): Promise<void> {
    const info = InfoReplySchema.parse((await call(this.net.url, 'GET', 'v1/info')).json);
    this.identities.push(await registerNew(this.net, info.serverTime));
  }

  /** One round: lease, download the model again and again, submit zeros; a refused lease means a new identity. */
  async round(): Promise<void> {
    if (this.identities.length === 0) await this.register();
    const { token } = this.identities.at(-1)!;
    const reply = LeaseReplySchema.parse((await call(this.net.url, 'POST', 'v1/lease', { waitMs: 0, resource: 'cpu' }, token)).json);
    if (reply.kind === 'none') {
      this.refusals.push(reply.message);
      await this.register();
      return;
    }
    for (let i = 0; i < REFETCHES; i++) await (await fetch(reply.task.model.url)).arrayBuffer();
    assert.equal((await submit(this.net.url, reply.leaseId, zeros(reply.task), token)).status, 200);
    this.submitted++;
  }

  /** Every receipt each of its identities was given. */
  async receipts(): Promise<Receipt[]> {
    const all: Receipt[] = [];
    for (const { token } of this.identities) all.push(...(await receiptsOf(this.net, token)));
    return all;
  }
}

const wei = (receipts: readonly Pick<Receipt, 'totalWei'>[]): bigint => receipts.reduce((sum, r) => sum + BigInt(r.totalWei), 0n);

test(
  'a cheater beside an honest device for 5 minutes of coordinator time earns under 1 % of it; every honest result is paid',
  { timeout: 300_000 },
  async () => {
    let shift = 0;
    const clock = { now: () => Date.now() + shift };
    const net = await startCoordinator({ clock, random: seededRandom(27), maxLeaseWaitMs: 1_000 });
    closers.push(() => net.close());
    const honest = await testDevice(net.url, { leaseWaitMs: 500 });
    closers.push(() => honest.client.close());
    const cheater = new Cheater(net);
    const honestTasks: string[] = [];
    const started = clock.now();

    while (clock.now() - started < RUN_MS) {
      await Promise.all([
        (async () => {
          const { leaseId, task } = await leaseOne(honest.client);
          await honest.client.complete(leaseId, await runWithOrt(task));
          assert.equal(await honest.client.flush(), 0);
          honestTasks.push(task.id);
        })(),
        cheater.round(),
      ]);
      shift += STEP_MS;
    }
    const ranMs = clock.now() - started;
    // Every open epoch is due: the next fetch seals it.
    shift += 120_000;
    await honest.client.syncReceipts();

    const honestReceipts = await receiptsIn(honest.ledger);
    const cheaterReceipts = await cheater.receipts();
    const honestWei = wei(honestReceipts);
    const cheaterWei = wei(cheaterReceipts);
    const statuses = honestReceipts.filter((r) => r.resourceType === 'cpu').map((r) => r.status);
    const [verified, unverified] = (['verified', 'unverified'] as const).map((st) => statuses.filter((x) => x === st).length);
    const ratio = Number((cheaterWei * 1_000_000n) / (honestWei === 0n ? 1n : honestWei)) / 1_000_000;
    console.log(`adversary: cheater ${cheaterWei} wei, honest ${honestWei} wei, ratio ${ratio}`);
    console.log(
      `adversary: ${honestTasks.length} honest results, ${cheater.submitted} cheating results from ${cheater.identities.length} identities, ` +
        `${cheater.refusals.length} leases refused; honest results checked ${verified}, unchecked ${unverified}; ` +
        `${(ranMs / 60_000).toFixed(2)} minutes of coordinator time`,
    );

    assert.ok(ranMs >= RUN_MS);
    assert.ok(cheaterWei * 100n < honestWei, 'the cheater earns less than 1 % of what the honest device earns');
    // The honest device loses nothing: each of its results has a receipt that pays it, none rejected or forfeited.
    const paid = new Map(honestReceipts.filter((r) => r.resourceType === 'cpu').map((r) => [r.taskId, r]));
    for (const taskId of honestTasks) {
      const receipt = paid.get(taskId);
      assert.ok(receipt && receipt.status !== 'rejected' && BigInt(receipt.totalWei) > 0n, `honest result ${taskId} was paid`);
    }
    assert.equal(paid.size, honestTasks.length);
    assert.ok(honestReceipts.every((r) => r.status !== 'rejected'));
    // The cheater was told plainly why it gets no work, and what to do.
    assert.ok(cheater.refusals.length > 0);
    for (const message of cheater.refusals) assert.doesNotMatch(message, /[a-z]+-[a-z]+|E[A-Z]{4,}|\{/);
  },
);
