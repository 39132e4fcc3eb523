import assert from 'node:assert/strict';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Wallet } from 'ethers';
import type { NetworkService } from '../../main/core/network/service.js';
import { startCoordinator } from '../../main/devnet/coordinator.js';
import { MemoryLogger, tempDir } from '../helpers/fakes.js';
import { contributing } from '../integration/support/contribute.js';
import { cpuService, nextEvent, queueResult, runWithOrt, switchableProxy } from '../integration/support/network.js';

const closers: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const close of closers.reverse()) await close();
});

/** Resolves once `count` receipts came into the ledger, in however many epochs. */
const receipts = (service: NetworkService, count: number) =>
  new Promise<void>((resolve) => {
    let n = 0;
    service.subscribe((e) => {
      if (e.type === 'epoch' && (n += e.epoch.sums.reduce((sum, s) => sum + s.receipts, 0)) >= count) resolve();
    });
  });

test(
  'a damaged client.json is set aside with a plain notice, and the device registers again and earns under its own id',
  { timeout: 90_000 },
  async () => {
    // Every fetch seals the open epoch: the second run's receipts come without waiting out a minute-long epoch.
    const devnet = await startCoordinator({ taskIntervalMs: 10, availabilityReceiptMs: 1, epochMs: 0 });
    closers.push(() => devnet.close());
    const dataDir = await tempDir();
    const signer = Wallet.createRandom();
    const start = async () => {
      const logger = new MemoryLogger();
      const service = await cpuService(dataDir, devnet.url, signer, logger);
      closers.push(() => service.close());
      return { service, logger };
    };
    const first = await start();
    const earned = receipts(first.service, 1);
    const stopFirst = contributing(first.service.client, (task) => runWithOrt(task));
    await earned;
    await stopFirst();
    await first.service.close();
    const file = join(dataDir, 'network', 'client.json');
    const good = JSON.parse(await readFile(file, 'utf8'));

    // Valid JSON the client's schema refuses (what used to surface as a raw ZodError dump on the dashboard).
    await writeFile(file, JSON.stringify({ ...good, coordinators: { [devnet.url]: { token: 42 } } }));
    const second = await start();
    assert.equal(second.service.book.notices().length, 1);
    assert.match(
      second.service.book.notices()[0]!,
      /^The file with this computer's network registration was damaged, so it was kept as client\.json\.bad-\S+ and rebuilt from your earnings history and waiting results: this computer keeps its identity/,
    );
    assert.doesNotMatch(second.service.book.notices()[0]!, /Zod|invalid_type|expected|\{/);
    const names = await readdir(join(dataDir, 'network'));
    assert.equal(names.filter((n) => n.startsWith('client.json.bad-')).length, 1);
    assert.equal(second.service.client.deviceId, good.deviceId, 'the same device, so its earnings history stays its own');
    const again = receipts(second.service, 1);
    const stopSecond = contributing(second.service.client, (task) => runWithOrt(task));
    await again;
    await stopSecond();
    assert.ok(second.service.book.earnings()!.total.confirmedWei !== '0');
    await second.service.close();

    // Not JSON at all, and a queued result that cannot be read: both set aside, each one plain sentence.
    await writeFile(file, '\u0000\u0000garbage');
    await writeFile(join(dataDir, 'network', 'outbox', `${'0'.repeat(32)}.json`), '{"version":1,');
    const confirmed = second.service.book.earnings()!.total.confirmedWei;
    const third = await start();
    assert.equal(third.service.book.notices().length, 2, third.service.book.notices().join('\n'));
    assert.equal(third.service.client.deviceId, good.deviceId, 'no id in the file: recovered from the ledger');
    assert.equal(third.service.ledger.report.setAside, undefined, 'no signed epoch of this device is set aside');
    assert.equal(third.service.book.earnings()!.total.confirmedWei, confirmed, 'the history is unchanged');
    assert.match(
      third.service.book.notices()[1]!,
      /^A finished result waiting to be sent was damaged and cannot be sent; it was kept in the outbox folder with the ending \.bad\./,
    );
    assert.ok(
      third.logger.lines.some((l) => /queued result could not be read/.test(l)),
      'the details are in the log',
    );
    assert.ok((await readdir(join(dataDir, 'network', 'outbox'))).includes(`${'0'.repeat(32)}.json.bad`));
    await third.service.close();

    // A line damaged in the middle of the earnings history (not the torn last one): a notice too, not only stderr.
    const ledgerFile = join(dataDir, 'ledger.jsonl');
    const lines = (await readFile(ledgerFile, 'utf8')).split('\n');
    assert.ok(lines.filter(Boolean).length >= 2, 'a line in the middle');
    lines[0] = lines[0]!.replace(/[0-9]/, (d) => String((Number(d) + 1) % 10));
    await writeFile(ledgerFile, lines.join('\n'));
    const fourth = await start();
    assert.ok(
      fourth.service.book.notices().some((n) => /^1 line of your earnings history is damaged and not counted/.test(n)),
      fourth.service.book.notices().join('\n'),
    );
  },
);

test(
  'a missing client.json, or one with no id left in it, costs nothing: the same device, its signed history and its waiting results',
  { timeout: 120_000 },
  async () => {
    const devnet = await startCoordinator({ taskIntervalMs: 10, availabilityReceiptMs: 1, epochMs: 0 });
    closers.push(() => devnet.close());
    const proxy = await switchableProxy(devnet.url);
    closers.push(() => proxy.close());
    const dataDir = await tempDir();
    const signer = Wallet.createRandom();
    const start = async () => {
      const service = await cpuService(dataDir, proxy.url, signer);
      closers.push(() => service.close());
      return service;
    };
    const first = await start();
    const earned = receipts(first, 1);
    const stop = contributing(first.client, (task) => runWithOrt(task));
    await earned;
    await stop();
    const deviceId = first.client.deviceId;
    const file = join(dataDir, 'network', 'client.json');
    let service = first;
    for (const damage of [() => writeFile(file, '\u0000garbage with no id'), () => rm(file)]) {
      const taskId = await queueResult(service.client, proxy);
      const confirmed = service.book.earnings()!.total.confirmedWei;
      await service.close();
      await damage();
      proxy.up = true;
      service = await start();
      const sent = nextEvent(service.client, 'submitted', (e) => e.taskId === taskId);
      assert.equal(service.client.deviceId, deviceId, 'the same device');
      assert.equal(service.ledger.report.setAside, undefined, 'no signed epoch of this device is set aside');
      // Receipts still due from before may come in at the new start: the history only grows.
      assert.ok(BigInt(service.book.earnings()!.total.confirmedWei) >= BigInt(confirmed), 'nothing of the history is lost');
      assert.equal(service.book.notices().length, 1, service.book.notices().join('\n'));
      assert.match(service.book.notices()[0]!, /this computer keeps its identity and registers again by itself/);
      assert.equal((await sent).status, 'accepted', 'the waiting result is taken and paid');
    }
  },
);
