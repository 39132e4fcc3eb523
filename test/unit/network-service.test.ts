import assert from 'node:assert/strict';
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Wallet } from 'ethers';
import { DEFAULT_NETWORK_SETTINGS } from '../../main/common/network.js';
import { encodeRecord } from '../../main/core/fs/checksummed-log.js';
import { systemClock } from '../../main/core/node-ports.js';
import { startNetworkService, type NetworkServiceOptions } from '../../main/core/network/service.js';
import { startCoordinator } from '../../main/devnet/coordinator.js';
import { MemoryLogger, tempDir } from '../helpers/fakes.js';
import { recordsOf } from '../helpers/ledger.js';
import { contributing } from '../integration/support/contribute.js';
import { cpuDevice, runWithOrt } from '../integration/support/network.js';

const closers: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const close of closers.reverse()) await close();
});

/** A network service for a fresh device and owner on `url`; closed after the file. */
async function startService(url: string, again?: Pick<NetworkServiceOptions, 'dataDir' | 'signer'>) {
  const started = await startNetworkService({
    dataDir: again?.dataDir ?? (await tempDir()),
    url,
    detailDays: () => 7,
    signer: again?.signer ?? Wallet.createRandom(),
    device: cpuDevice,
    clock: systemClock,
    logger: new MemoryLogger(),
  });
  closers.push(() => started.close());
  return started;
}

test('the service runs the loop while active, and earnings, CSV and estimates come from its ledger', { timeout: 120_000 }, async () => {
  // Every fetch seals the open epoch, so the second task's receipt comes without waiting out a minute.
  const devnet = await startCoordinator({ taskIntervalMs: 10, availabilityReceiptMs: 1, epochMs: 0 });
  closers.push(() => devnet.close());
  const service = await startService(devnet.url);
  const twoCpuReceipts = new Promise<void>((resolve) => {
    let n = 0;
    service.subscribe((e) => {
      if (e.type === 'epoch' && (n += e.epoch.sums.find((s) => s.resourceType === 'cpu')?.receipts ?? 0) >= 2) resolve();
    });
  });
  const sharedAt = Date.now();
  const stop = contributing(service.client, (task) => runWithOrt(task));
  await twoCpuReceipts;
  await stop();

  const earnings = service.book.earnings()!;
  assert.ok(BigInt(earnings.total.confirmedWei) > 0n);
  assert.ok(earnings.byResource.some((b) => b.key === 'cpu'));
  assert.ok((await service.book.csv()!).split('\r\n').length >= 4);
  const estimates = service.estimates({
    device: cpuDevice.deviceType,
    scheduledHoursPerDay: 24,
    sharePercent: 50,
    powerWatts: 30,
    settings: DEFAULT_NETWORK_SETTINGS,
    days: 1,
    meter: { stretches: [{ from: sharedAt, to: Date.now(), running: true }], paid: [], share: 0.5 },
  });
  assert.equal(estimates.hourlyUsd, 0.01);
  // Two tasks are too few for a figure: the estimate says it is still measuring.
  assert.equal(estimates.synor.confidence, 'measuring');
  assert.equal(estimates.synor.perHourWei, null);
  assert.ok(Math.abs(estimates.seed.high - 7.2) < 1e-9, '$0.01/h × 24 h × 30 days');
  assert.equal(estimates.actual.earnedUsd, null, 'no SYNOR price on the devnet');
  assert.match(estimates.actual.reasons.join('\n'), /test tokens/);
  assert.equal(estimates.actual.earnedWei, service.book.earnings({ fromMs: 0 })!.total.confirmedWei);
});

test('stopping mid-task gives the task back with the reason the agent gave', { timeout: 120_000 }, async () => {
  const devnet = await startCoordinator({ taskIntervalMs: null });
  closers.push(() => devnet.close());
  let started!: () => void;
  const running = new Promise<void>((resolve) => (started = resolve));
  const service = await startService(devnet.url);
  devnet.addTasks(1);
  const stop = contributing(
    service.client,
    (_task, signal) =>
      new Promise((_resolve, reject) => {
        started();
        signal.addEventListener('abort', () => reject(new Error('stopped')));
      }),
  );
  await running;
  await stop('policy-pause');
  await service.close();
  assert.deepEqual(devnet.stats.releases, ['policy-pause']);
});

test(
  'a forged line put into the ledger while the app was stopped is set aside at the next start, with a notice, and not counted',
  { timeout: 120_000 },
  async () => {
    const devnet = await startCoordinator({ taskIntervalMs: null });
    closers.push(() => devnet.close());
    const dataDir = await tempDir();
    const signer = Wallet.createRandom();
    const first = await startService(devnet.url, { dataDir, signer });
    const epoch = new Promise<void>((resolve) => first.subscribe((e) => e.type === 'epoch' && resolve()));
    devnet.addTasks(1);
    const stop = contributing(first.client, (task) => runWithOrt(task));
    await epoch;
    await stop();
    await first.close();
    const before = first.book.earnings()!.total.confirmedWei;
    assert.equal(first.book.notices().length, 0);

    // The coordinator's real signature under an epoch that follows the real one and pays a whole SYNOR.
    const file = join(dataDir, 'ledger.jsonl');
    const { source, signed: real } = (await recordsOf(file)).at(-1)!;
    assert.equal(source.coordinator, devnet.address);
    const next = real.epoch.lastSeq + 1;
    const forged = { ...real, epoch: { ...real.epoch, firstSeq: next, lastSeq: next, totalWei: '1000000000000000000' } };
    await appendFile(file, encodeRecord({ kind: 'epoch', at: Date.now(), source, signed: forged }));
    const second = await startService(devnet.url, { dataDir, signer });
    assert.equal(second.book.earnings()!.total.confirmedWei, before, 'the forged SYNOR is not counted');
    assert.equal(second.book.notices().length, 1);
    assert.match(
      second.book.notices()[0]!,
      /^1 line of your earnings history did not check out .* and is not counted\. Nothing else changed; it was kept in .*ledger\.jsonl\.set-aside-\d+\.$/,
    );
  },
);
