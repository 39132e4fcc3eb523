// A full disk (a real 2 MB tmpfs, test/helpers/small-disk.ts) under the ledger, the network client and the activity
// log: what cannot be written waits in memory and is written in order once there is room, with one notice, no flood
// of errors, and no receipt cursor moved past a receipt that is not on disk.
import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { Wallet } from 'ethers';
import { ActivityEntrySchema, type ActivityEntry } from '../../main/common/state.js';
import { LogAppender, openLog } from '../../main/core/fs/checksummed-log.js';
import { Ledger } from '../../main/core/ledger/ledger.js';
import { ClientStateSchema } from '../../main/core/network/client-file.js';
import type { NetworkClient } from '../../main/core/network/client.js';
import { startCoordinator, type Coordinator } from '../../main/devnet/coordinator.js';
import { testAgent } from '../helpers/agent.js';
import { MemoryLogger, tempDir } from '../helpers/fakes.js';
import { receiptsIn, recordsOf, signedEpoch, testReceipt } from '../helpers/ledger.js';
import { smallDisk, type SmallDisk } from '../helpers/small-disk.js';
import { collect, leaseOne, quickResult, testDevice } from '../integration/support/network.js';

/** Runs `body` on a fresh small disk, or skips where no tmpfs can be mounted (not root). */
async function onSmallDisk(t: TestContext, body: (disk: SmallDisk) => Promise<void>): Promise<void> {
  const disk = await smallDisk();
  if ('skipped' in disk) return t.skip(disk.skipped);
  try {
    await body(disk);
  } finally {
    await disk.close();
  }
}

const coordinator = Wallet.createRandom();
const source = { url: 'http://127.0.0.1:1/', devnet: true, coordinator: coordinator.address, chainId: 31337 };

test('a line the full disk cut short is cut off again, and written whole once there is room', { timeout: 30_000 }, async (t) => {
  await onSmallDisk(t, async (disk) => {
    const file = join(disk.dir, 'log.jsonl');
    const log = new LogAppender(file);
    assert.equal(await log.append('first\n'), null);
    await disk.fill();
    // Longer than what is left of the file's last page: part of it fits, the rest is refused.
    const long = `${'x'.repeat(9000)}\n`;
    assert.equal((await log.append(long))?.code, 'DISK_FULL');
    assert.equal((await stat(file)).size, 'first\n'.length, 'no half line left behind');
    assert.deepEqual([log.heldCount(), log.heldBecause()?.message], [1, 'the disk is full']);
    await disk.free();
    assert.equal(await log.append('third\n'), null);
    assert.equal(await readFile(file, 'utf8'), `first\n${long}third\n`);
    assert.deepEqual([log.heldCount(), log.heldBecause()], [0, null]);
  });
});

test('past `maxHeld` the oldest held lines are given up and counted', { timeout: 30_000 }, async (t) => {
  await onSmallDisk(t, async (disk) => {
    const file = join(disk.dir, 'log.jsonl');
    const log = new LogAppender(file, { maxHeld: 2 });
    await disk.fill();
    for (const line of ['a\n', 'b\n', 'c\n']) assert.equal((await log.append(line))?.code, 'DISK_FULL');
    assert.deepEqual([log.heldCount(), log.dropped()], [2, 1]);
    await disk.free();
    assert.equal(await log.append(), null);
    assert.equal(await readFile(file, 'utf8'), 'b\nc\n');
  });
});

test(
  'the ledger on a full disk counts what it cannot write, holds it, and writes it in order once there is room',
  { timeout: 30_000 },
  async (t) => {
    await onSmallDisk(t, async (disk) => {
      const file = join(disk.dir, 'ledger.jsonl');
      const ledger = await Ledger.open(file);
      await ledger.verify(() => null, 0);
      const owner = Wallet.createRandom().address;
      const [first, second] = [
        await signedEpoch([testReceipt(owner), testReceipt(owner)], coordinator),
        await signedEpoch([testReceipt(owner)], coordinator),
      ];
      await disk.fill();
      assert.equal(await ledger.appendEpoch(1, source, first), true);
      assert.equal(await ledger.appendEpoch(1, source, second), true);
      assert.equal(await ledger.appendEpoch(1, source, first), false, 'a held epoch is known: not held twice');
      assert.deepEqual([ledger.heldCount(), ledger.heldBecause()?.message], [2, 'the disk is full']);
      assert.equal(ledger.sums.summary().total.receipts, 3, 'counted while held');
      await ledger.saveCheckpoint(); // the index cannot be written either: no error
      assert.deepEqual(await recordsOf(file), []);
      await disk.free();
      await ledger.writeHeld();
      assert.deepEqual([ledger.heldCount(), ledger.heldBecause()], [0, null]);
      await ledger.saveCheckpoint();
      assert.deepEqual(
        (await recordsOf(file)).map((r) => r.signed.epoch.firstSeq),
        [first.epoch.firstSeq, second.epoch.firstSeq],
      );
      assert.deepEqual(
        (await receiptsIn(ledger)).map((r) => r.seq),
        [...first.receipts, ...second.receipts].map((r) => r.seq),
        'the detail too, in order',
      );
      const reopened = await Ledger.open(file);
      await reopened.verify(() => null, 1);
      assert.equal(reopened.sums.summary().total.receipts, 3, 'each counted once after a restart');
    });
  },
);

/** The receipt cursor as saved in client.json. */
async function savedCursor(dir: string, client: NetworkClient): Promise<number> {
  const state = ClientStateSchema.parse(JSON.parse(await readFile(join(dir, 'network', 'client.json'), 'utf8')));
  return state.coordinators[client.url]?.cursor ?? -1;
}

async function withDevnet(run: (net: Coordinator) => Promise<void>): Promise<void> {
  const net = await startCoordinator({ verifyRate: 0, maxLeaseWaitMs: 500 });
  try {
    await run(net);
  } finally {
    await net.close();
  }
}

test('a receipt whose ledger append throws does not move the receipt cursor; the next sync takes it', { timeout: 30_000 }, async () => {
  await withDevnet(async (net) => {
    const dir = await tempDir();
    const { client, ledger } = await testDevice(net.url, { dataDir: dir, leaseWaitMs: 200 });
    const { leaseId, task } = await leaseOne(client);
    await client.complete(leaseId, quickResult(task));
    await client.flush();
    const append = ledger.appendEpoch.bind(ledger);
    ledger.appendEpoch = async () => {
      throw new Error('the ledger broke');
    };
    await assert.rejects(client.syncReceipts(), /the ledger broke/);
    assert.equal(await savedCursor(dir, client), 0);
    ledger.appendEpoch = append;
    assert.equal(await client.syncReceipts(), 2, "the compute receipt and the epoch's bandwidth receipt");
    assert.equal(await savedCursor(dir, client), 2);
    await client.close();
  });
});

test(
  'on a full disk receipts wait in memory without moving the cursor, with one notice; once there is room they are written and the cursor moves',
  { timeout: 30_000 },
  async (t) => {
    await withDevnet(async (net) => {
      await onSmallDisk(t, async (disk) => {
        const logger = new MemoryLogger();
        const { client, ledger } = await testDevice(net.url, { dataDir: disk.dir, leaseWaitMs: 200, logger });
        const problems = collect(client, 'problem');
        const { leaseId, task } = await leaseOne(client);
        await disk.fill();
        // Held in memory from the start: a result file sent and removed would free a page the ledger could use.
        await client.complete(leaseId, quickResult(task));
        await client.flush(); // submitted: pending in the ledger's sums
        assert.equal(await client.syncReceipts(), 2, 'counted, though not on disk yet');
        assert.equal(await client.syncReceipts(), 0, 'fetched again, not counted twice');
        assert.equal(await savedCursor(disk.dir, client), 0, 'the cursor stays before receipts that are not on disk');
        assert.deepEqual(await recordsOf(ledger.file), []);
        assert.equal(ledger.sums.summary().total.receipts, 2);
        assert.match(client.status().message, /New work is paused: the disk is full\. 1 earnings record is kept in memory/);
        assert.equal((await client.lease()).kind, 'none', 'leasing paused');
        assert.equal(problems.length, 1, 'said once');
        assert.equal(logger.lines.filter((l) => l.startsWith('error')).length, 1, 'one error, not one per try');
        await disk.free();
        await client.flush();
        assert.equal(await client.syncReceipts(), 0);
        assert.equal(await savedCursor(disk.dir, client), 2);
        assert.deepEqual(
          (await recordsOf(ledger.file)).map((r) => r.kind),
          ['epoch'],
        );
        assert.equal((await receiptsIn(ledger.file)).length, 2, 'its detail too');
        assert.equal(problems.length, 2);
        assert.match((problems[1] as { message: string }).message, /^Finished work can be saved again/);
        assert.equal((await client.lease()).kind, 'task', 'leasing goes on');
        await client.close();
      });
    });
  },
);

test(
  'the activity log on a full disk: entries wait in memory, one notice and one error, all written once there is room',
  { timeout: 30_000 },
  async (t) => {
    await onSmallDisk(t, async (disk) => {
      const { agent, ports, paths } = await testAgent(disk.dir);
      await agent.call({ cmd: 'updateSettings', args: { sharing: true, idleOnly: { enabled: true, minutes: 10 } } });
      const said = (pattern: RegExp): Promise<void> =>
        new Promise((resolve) => agent.subscribe((e) => e.type === 'activity' && pattern.test(e.entry.message) && resolve()));
      const held = said(/activity log cannot be saved \(the disk is full\)/);
      /** Away, then back: each a policy change, logged. */
      const flip = async (): Promise<void> => {
        ports.os.idleSeconds = ports.os.idleSeconds === 2 ? 3600 : 2;
        ports.clock.advance(1000);
        await agent.tick();
      };
      await disk.fill();
      // The file's last page takes some entries before the disk refuses one; 80 are more than a page.
      for (let i = 0; i < 80; i++) await flip();
      await held;
      await disk.free();
      const room = said(/room on the disk again: the activity log is saved again\.$/);
      await flip();
      await room;
      await agent.close();
      const shown = await agent.call({ cmd: 'getActivity' });
      assert.ok(shown.ok);
      const entries = shown.value as ActivityEntry[];
      const onDisk = await openLog(join(paths.dataDir, 'activity.jsonl'), ActivityEntrySchema, () => 0);
      assert.deepEqual(onDisk.records, entries, 'every entry, in order');
      assert.deepEqual(onDisk.report, { tornTail: null, problems: [] });
      assert.equal(entries.filter((e) => /activity log cannot be saved/.test(e.message)).length, 1);
      assert.equal(ports.logger.lines.filter((l) => l.startsWith('error') && /activity log/.test(l)).length, 1);
    });
  },
);
