// Contract tests: the real client against the real devnet coordinator over loopback, tasks run with onnxruntime.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFile, writeFile } from 'node:fs/promises';
import { after, test } from 'node:test';
import { DEVNET_LABEL } from '../../main/common/network.js';
import { startCoordinator, type Coordinator, type CoordinatorOptions } from '../../main/devnet/coordinator.js';
import type { NetworkClient, NetworkClientOptions } from '../../main/core/network/client.js';
import { contribute } from './support/contribute.js';
import type { NetworkError } from '../../main/core/network/http.js';
import { Outbox } from '../../main/core/network/outbox.js';
import { bundleProblem } from '../../main/core/receipts/receipts.js';
import { verifyLedgerFile } from '../../main/core/ledger/verify-file.js';
import { systemClock } from '../../main/core/node-ports.js';
import { tempDir } from '../helpers/fakes.js';
import { receiptsIn, recordsOf } from '../helpers/ledger.js';
import { nextEvent, runWithOrt, switchableProxy, testDevice } from './support/network.js';

const closers: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const close of closers.reverse()) await close();
});

async function devnet(options: CoordinatorOptions = {}): Promise<Coordinator> {
  // Every fetch seals the epoch, so each step's receipts come at once (the minute-long epoch has its own test).
  const coordinator = await startCoordinator({ taskIntervalMs: null, verifyRate: 1, epochMs: 0, ...options });
  closers.push(() => coordinator.close());
  return coordinator;
}

async function device(url: string, extra: Partial<NetworkClientOptions> = {}) {
  const made = await testDevice(url, extra);
  closers.push(() => made.client.close());
  return made;
}

async function leaseTask(client: NetworkClient) {
  const outcome = await client.lease();
  assert.equal(outcome.kind, 'task');
  return outcome;
}

test(
  'a device registers, runs a real ONNX task, submits it and gets verified receipts in a signed epoch into its ledger',
  { timeout: 300_000 },
  async () => {
    const net = await devnet();
    const { client, ledger } = await device(net.url);
    net.addTasks(1);
    const { leaseId, task } = await leaseTask(client);
    assert.equal(client.status().code, 'connected');
    assert.equal(client.status().label, DEVNET_LABEL);
    await client.complete(leaseId, await runWithOrt(task));
    assert.equal(client.status().queued, 1, 'on disk before the first submit');
    assert.equal(await client.flush(), 0);
    assert.equal(await client.syncReceipts(), 2);

    const receipts = await receiptsIn(ledger);
    assert.deepEqual(
      receipts.map((r) => [r.resourceType, r.taskId]),
      [
        ['cpu', task.id],
        ['bandwidth', ''],
      ],
      'the transfers are paid once per epoch',
    );
    for (const r of receipts) {
      assert.equal(r.status, 'verified');
      assert.ok(BigInt(r.totalWei) > 0n);
    }
    const [epoch] = await recordsOf(ledger);
    assert.equal(bundleProblem({ ...epoch!.signed, receipts }, { chainId: 31337, coordinator: net.address }), null);
    assert.equal(epoch!.signed.epoch.totalWei, String(receipts.reduce((s, r) => s + BigInt(r.totalWei), 0n)));
    const summary = ledger.sums.summary();
    assert.equal(summary.total.receipts, 2);
    assert.equal(summary.total.pendingTasks, 0, 'the receipt settled the pending result');
    const verified = await verifyLedgerFile(ledger.file, { chainId: 31337, coordinator: net.address });
    assert.deepEqual(verified, { ok: true, records: 1, problems: [] });
  },
);

test('re-sending a result is safe: the coordinator counts it once and the ledger keeps one record', { timeout: 300_000 }, async () => {
  const net = await devnet();
  const { client, ledger } = await device(net.url);
  net.addTasks(1);
  const { leaseId, task } = await leaseTask(client);
  const result = await runWithOrt(task);
  await client.complete(leaseId, result);
  await client.flush();
  await client.complete(leaseId, result);
  const second = nextEvent(client, 'submitted');
  await client.flush();
  assert.equal((await second).status, 'duplicate');
  assert.equal(net.stats.accepted.get(task.id), 1);
  assert.equal(ledger.sums.total().pendingTasks, 1);
});

test(
  'a wrong result fails verification: its receipt says rejected, pays nothing, pauses the device, and the reputation drops',
  { timeout: 300_000 },
  async () => {
    let shift = 0;
    const net = await devnet({ clock: { now: () => Date.now() + shift } });
    const { client, ledger } = await device(net.url);
    net.addTasks(1);
    const first = await leaseTask(client);
    const result = await runWithOrt(first.task);
    const y = result.outputs['Y']!;
    const forged = { ...result, outputs: { Y: { ...y, data: new Uint8Array(y.data.byteLength) } } };
    await client.complete(first.leaseId, forged);
    await client.flush();
    await client.syncReceipts();
    const rejected = await receiptsIn(ledger);
    assert.deepEqual(
      rejected.map((r) => [r.status, r.totalWei]),
      [['rejected', '0']],
      'no transfers are paid for a rejected result',
    );
    assert.equal(net.stats.rejected, 1);
    assert.equal((await client.lease()).kind, 'none', 'no work for an hour (docs/protocol.md, "Verification")');
    shift = 3_600_000;
    net.addTasks(1);
    const second = await leaseTask(client);
    await client.complete(second.leaseId, await runWithOrt(second.task));
    await client.flush();
    await client.syncReceipts();
    const last = (await receiptsIn(ledger)).filter((r) => r.resourceType === 'cpu').at(-1);
    assert.equal(last?.reputation, 41, '50, −10 for the failed verification, +1 for this one');
    assert.equal(ledger.sums.summary().rejected, 1);
  },
);

test('no work: the long-poll ends with the reason, and the status says "No work available — why"', { timeout: 300_000 }, async () => {
  const net = await devnet();
  const { client } = await device(net.url, { leaseWaitMs: 150 });
  const outcome = await client.lease();
  assert.equal(outcome.kind, 'none');
  assert.equal(client.status().code, 'no-work');
  assert.match(client.status().message, /^No work available — the devnet has no open tasks/);
  // A task arriving during the long-poll is handed over.
  const { client: patient } = await device(net.url, { leaseWaitMs: 20_000 });
  const waiting = patient.lease();
  net.addTasks(1);
  assert.equal((await waiting).kind, 'task');
});

test('heartbeats keep a lease alive past its TTL; a lease that expired while offline is reported gone', { timeout: 300_000 }, async () => {
  const net = await devnet({ leaseTtlMs: 600 });
  const { client } = await device(net.url);
  net.addTasks(1);
  const { leaseId, task } = await leaseTask(client);
  client.progress(leaseId, 0.5);
  let beats = 0;
  await new Promise<void>((resolve) => {
    const off = client.subscribe((e) => {
      if (e.type === 'heartbeat' && e.status === 'active' && ++beats === 5) resolve(off() as unknown as void);
    });
  });
  const submitted = nextEvent(client, 'submitted');
  await client.complete(leaseId, await runWithOrt(task));
  await client.flush();
  assert.equal((await submitted).status, 'accepted', 'still the device’s lease after 5 heartbeats (> TTL)');

  const proxy = await switchableProxy(net.url);
  closers.push(() => proxy.close());
  const other = await device(proxy.url);
  net.addTasks(1);
  const second = await leaseTask(other.client);
  proxy.up = false;
  const gone = nextEvent(other.client, 'gone');
  const told = nextEvent(other.client, 'problem');
  // A third device long-polls: it gets the task as soon as the coordinator takes the unrenewed lease back.
  const third = await device(net.url, { leaseWaitMs: 20_000 });
  const reissued = await third.client.lease();
  assert.equal(reissued.kind === 'task' && reissued.task.id, second.task.id, 'the expired lease put its task back');
  proxy.up = true;
  assert.equal((await gone).leaseId, second.leaseId);
  // The work stopped and is not paid: the user sees that, not only the log.
  assert.match((await told).message, /^The network took a task back before this computer finished it, because its time ran out\./);
});

test(
  'offline: a finished result waits on disk ("Offline, 1 result queued"), survives a restart and goes out once back',
  { timeout: 300_000 },
  async () => {
    const net = await devnet();
    const proxy = await switchableProxy(net.url);
    closers.push(() => proxy.close());
    const { client, dir, ledger, signer } = await device(proxy.url);
    net.addTasks(1);
    const { leaseId, task } = await leaseTask(client);
    const result = await runWithOrt(task);
    proxy.up = false;
    await client.complete(leaseId, result);
    await assert.rejects(client.flush(), (e: NetworkError) => e.code === 'OFFLINE');
    assert.equal(client.status().code, 'offline');
    assert.match(client.status().message, /^Offline, 1 result queued/);
    await client.close();

    const restarted = await device(proxy.url, { dataDir: dir, ledger, signer });
    assert.equal(restarted.client.status().queued, 1);
    proxy.up = true;
    assert.equal(await restarted.client.flush(), 0);
    assert.equal(net.stats.accepted.get(task.id), 1);
    assert.equal(restarted.client.deviceId, client.deviceId, 'the device id is stable');
  },
);

test('clock skew: a device an hour ahead still registers, and task deadlines arrive in its own time', { timeout: 300_000 }, async () => {
  const net = await devnet({ taskDeadlineMs: 60_000 });
  const skew = 3_600_000;
  const clock = { now: () => systemClock.now() + skew };
  const { client } = await device(net.url, { clock });
  net.addTasks(1);
  const { task } = await leaseTask(client);
  const left = task.deadline - clock.now();
  assert.ok(left > 50_000 && left <= 61_000, `deadline ${left} ms ahead on the device clock`);
});

test('a coordinator that comes back with another signing key is not trusted', { timeout: 300_000 }, async () => {
  const first = await devnet();
  const { client, dir, ledger, signer } = await device(first.url);
  await client.connect();
  await client.close();
  const port = Number(new URL(first.url).port);
  await first.close();
  const second = await devnet({ port });
  const again = await device(second.url, { dataDir: dir, ledger, signer });
  await assert.rejects(again.client.connect(), (e: NetworkError) => e.code === 'COORDINATOR_CHANGED');
  assert.equal(again.client.status().code, 'error');
  assert.match(again.client.status().message, /not trusted/);
});

test(
  'a coordinator that forgot the device gets one registration at a time, each newer than the last, however many calls find out at once',
  { timeout: 300_000 },
  async () => {
    const stateFile = join(await tempDir(), 'coordinator.json');
    const first = await devnet({ stateFile });
    const { client, dir, ledger, signer } = await device(first.url);
    await client.connect();
    await client.close();
    const port = Number(new URL(first.url).port);
    await first.close();
    // The same coordinator key, but no devices: every device call is now answered 401.
    const state = JSON.parse(await readFile(stateFile, 'utf8')) as { devices: object };
    await writeFile(stateFile, JSON.stringify({ ...state, devices: {} }));
    const second = await devnet({ port, stateFile });
    // A clock that stands still: calls at once sign the same time unless they take turns.
    const now = Date.now();
    const again = await device(second.url, { dataDir: dir, ledger, signer, clock: { now: () => now } });
    await again.client.connect();
    second.addTasks(1);
    const [receipts, lease, moreReceipts] = await Promise.all([
      again.client.syncReceipts(),
      again.client.lease(),
      again.client.syncReceipts(),
    ]);
    assert.deepEqual([receipts, lease.kind, moreReceipts], [0, 'task', 0], 'no call was refused as a replay');
  },
);

test('online time earns signed availability receipts', { timeout: 300_000 }, async () => {
  const net = await devnet({ availabilityReceiptMs: 1 });
  const { client, ledger } = await device(net.url, { leaseWaitMs: 20 });
  await client.lease();
  await client.lease();
  await client.syncReceipts();
  const availability = (await receiptsIn(ledger)).filter((r) => r.resourceType === 'availability');
  assert.ok(availability.length >= 1);
  assert.ok(BigInt(availability[0]!.totalWei) > 0n);
});

test('contribute(): the loop leases, runs, submits; earnings grow with receipts that verify', { timeout: 300_000 }, async () => {
  const net = await devnet({ taskIntervalMs: 20, maxOpenTasks: 2 });
  const { client, ledger } = await device(net.url, { syncIntervalMs: 50 });
  client.start();
  const stop = new AbortController();
  let cpuReceipts = 0;
  const three = new Promise<void>((resolve) => {
    client.subscribe((e) => {
      if (e.type === 'epoch' && (cpuReceipts += e.epoch.sums.find((s) => s.resourceType === 'cpu')?.receipts ?? 0) >= 3) resolve();
    });
  });
  const loop = contribute({ client, execute: (task) => runWithOrt(task), signal: stop.signal });
  await three;
  stop.abort();
  await loop;
  const summary = ledger.sums.summary();
  assert.ok(BigInt(summary.total.confirmedWei) > 0n);
  assert.ok(summary.byResource.some((b) => b.key === 'cpu' && b.receipts >= 3));
});

test('http is refused for remote coordinators', { timeout: 300_000 }, async () => {
  await assert.rejects(device('http://coordinator.example.com/'), (e: NetworkError) => e.code === 'INSECURE_URL');
});

test(
  'a result the coordinator refuses (4xx) is not sent again: it leaves the outbox, is given back with the reason, and does not hold up the others',
  { timeout: 300_000 },
  async () => {
    const net = await devnet();
    const { client, dir } = await device(net.url);
    net.addTasks(1);
    const { leaseId, task } = await leaseTask(client);
    const result = await runWithOrt(task);
    const outbox = new Outbox(join(dir, 'network', 'outbox'));
    const problems: string[] = [];
    client.subscribe((e) => void (e.type === 'problem' && problems.push(e.message)));
    // Oldest first, and refused by the coordinator (a lease id the protocol does not allow).
    await outbox.put({
      version: 2,
      url: client.url,
      deviceId: client.deviceId,
      leaseId: 'not a lease id',
      result: { ...result, taskId: 'stuck-1' },
      estimateWei: '0',
      finishedAt: 0,
    });
    await client.complete(leaseId, result);
    assert.equal(await client.flush(), 0);
    assert.equal(net.stats.accepted.get(task.id), 1, 'the good result went out');
    assert.deepEqual((await outbox.list()).entries, []);
    assert.equal(await client.flush(), 0, 'nothing is sent again');
    assert.equal(client.status().code, 'connected');
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /refused the result of task stuck-1 .*leaseId.*will not be sent again/);
  },
);
