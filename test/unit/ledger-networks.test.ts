// Earnings per network (issue 27 item 5): two coordinators' epochs in one ledger are counted, pending, shown and
// claimable apart, on a real ledger and index; and the earnings book reads them before any wallet could sign, its
// first check telling how far it got.
import assert from 'node:assert/strict';
import { appendFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { Wallet } from 'ethers';
import type { Receipt } from '../../main/common/protocol.js';
import type { ClaimRecord } from '../../main/common/wallet.js';
import { encodeRecord } from '../../main/core/fs/checksummed-log.js';
import { Ledger } from '../../main/core/ledger/ledger.js';
import { networkKey } from '../../main/core/ledger/source.js';
import { recordProblem } from '../../main/core/ledger/trust.js';
import { openEarningsBook, PENDING_GRACE_MS } from '../../main/core/network/earnings-book.js';
import { FakeClock, MemoryLogger, tempDir } from '../helpers/fakes.js';
import { signedEpoch, testReceipt } from '../helpers/ledger.js';

const owner = Wallet.createRandom().address;
const A = Wallet.createRandom();
const B = Wallet.createRandom();
const sourceA = { url: 'http://127.0.0.1:4001/', devnet: true, coordinator: A.address, chainId: 31337 };
const sourceB = { url: 'https://b.example/', devnet: false, coordinator: B.address, chainId: 31337 };
const keyA = networkKey(sourceA);
const keyB = networkKey(sourceB);
const T0 = Date.UTC(2026, 10, 25, 11, 0);
const trust = { deviceIds: ['dev-a'], coordinators: [sourceA, sourceB] };

/** `n` verified CPU receipts of dev-a numbered from `firstSeq`, signed as one epoch by `by`. */
async function epochOf(by: Pick<Wallet, 'signTypedData'>, firstSeq: number, n: number, taskIds: string[] = []) {
  const receipts: Receipt[] = Array.from({ length: n }, (_, i) =>
    testReceipt(owner, { seq: firstSeq + i, issuedAt: T0 + i, ...(taskIds[i] ? { taskId: taskIds[i] } : {}) }),
  );
  return signedEpoch(receipts, by);
}
const weiOf = (bundle: { epoch: { totalWei: string } }): bigint => BigInt(bundle.epoch.totalWei);

async function twoNetworkLedger(dir: string) {
  const file = join(dir, 'ledger.jsonl');
  const ledger = await Ledger.open(file, () => T0);
  await ledger.verify(recordProblem(trust), T0);
  const onA = await epochOf(A, 1, 3);
  const onB = await epochOf(B, 1, 2, ['b-1']);
  await ledger.appendEpoch(T0, sourceA, onA);
  await ledger.appendEpoch(T0, sourceB, onB);
  await ledger.submitted({ at: T0, source: sourceA, taskId: 'a-late', deviceId: 'dev-a', estimateWei: 700n });
  await ledger.submitted({ at: T0, source: sourceB, taskId: 'b-2', deviceId: 'dev-a', estimateWei: 50n });
  return { file, ledger, weiA: weiOf(onA), weiB: weiOf(onB) };
}

test(
  'each network is counted apart: totals, pending and the summary per network, also after a reopen and a recount',
  { timeout: 60_000 },
  async () => {
    const dir = await tempDir();
    const { file, ledger, weiA, weiB } = await twoNetworkLedger(dir);
    const check = (l: Ledger, when: string): void => {
      assert.equal(l.sums.networkTotal(keyA).confirmedWei, weiA, `${when}: A's receipts`);
      assert.equal(l.sums.networkTotal(keyB).confirmedWei, weiB, `${when}: B's receipts`);
      assert.equal(l.sums.networkTotal(keyA).pendingWei, 700n, `${when}: A's pending only`);
      assert.equal(l.sums.networkTotal(keyB).pendingWei, 50n, `${when}: B's pending only`);
      assert.equal(l.sums.networkTotal().confirmedWei, weiA + weiB, `${when}: every network together`);
      const onlyB = l.sums.summary({ network: keyB });
      assert.equal(onlyB.total.receipts, 2, `${when}: B's summary has B's receipts`);
      assert.equal(onlyB.total.pendingTasks, 1);
      assert.deepEqual(onlyB.total, l.sums.total(keyB), `${when}: the running total of B is its summary's`);
      const all = l.sums.summary();
      assert.deepEqual(
        all.byNetwork.map((b) => [b.key, b.receipts, b.pendingTasks]).sort(),
        [
          [keyA, 3, 1],
          [keyB, 2, 1],
        ].sort(),
        `${when}: byNetwork`,
      );
      assert.deepEqual([...l.sums.networks().keys()].sort(), [keyA, keyB].sort());
    };
    check(ledger, 'as appended');
    await ledger.saveCheckpoint();

    const reopened = await Ledger.open(file, () => T0);
    await reopened.verify(recordProblem(trust), T0);
    check(reopened, 'from the index');
    assert.equal(await reopened.auditIndex(T0), false, 'the index agrees with the lines');

    await rm(`${file}.index`);
    const recounted = await Ledger.open(file, () => T0);
    await recounted.verify(recordProblem(trust), T0);
    assert.equal(recounted.sums.networkTotal(keyB).confirmedWei, weiB, 'recounted from the lines: B apart');
    assert.equal(recounted.sums.networkTotal(keyA).confirmedWei, weiA, 'and A apart');
    assert.deepEqual(
      recounted.sums.newest().map((r) => r.receiptId),
      ledger.sums.newest().map((r) => r.receiptId),
      'the newest receipts come back from the detail files (the receipts list was empty after a rebuild)',
    );
  },
);

test(
  "a network's pending results wait out the grace period, then are given up; its receipts still count when it returns",
  { timeout: 60_000 },
  async () => {
    const { ledger, weiB } = await twoNetworkLedger(await tempDir());
    assert.deepEqual(
      ledger.sums.giveUpPending((n) => n === keyB, T0),
      [],
      'not before the grace period',
    );
    const gone = ledger.sums.giveUpPending((n) => n === keyB, T0 + 1);
    assert.deepEqual(
      gone.map((p) => [p.network, p.taskId]),
      [[keyA, 'a-late']],
    );
    assert.equal(ledger.sums.networkTotal(keyA).pendingTasks, 0);
    assert.equal(ledger.sums.networkTotal(keyB).pendingTasks, 1, 'the network in use keeps its own');
    const before = ledger.sums.networkTotal(keyA).confirmedWei;
    const late = await epochOf(A, 4, 1, ['a-late']);
    assert.equal(await ledger.appendEpoch(T0, sourceA, late), true);
    assert.equal(ledger.sums.networkTotal(keyA).confirmedWei, before + weiOf(late), 'A returned: its receipt is counted');
    assert.equal(ledger.sums.networkTotal(keyB).confirmedWei, weiB, 'and only on A');
  },
);

test(
  'the earnings book checks in the background with progress, then shows each network apart and what is left to claim',
  { timeout: 120_000 },
  async () => {
    const dir = await tempDir();
    const { ledger, weiA, weiB } = await twoNetworkLedger(dir);
    await ledger.saveCheckpoint();
    // Enough history after the index for several progress steps (each 256 KiB of lines), written as the ledger writes it.
    let lines = '';
    let earnedB = weiB;
    for (let seq = 3; seq < 1003; seq++) {
      const { epoch, signature } = await epochOf(B, seq, 1);
      const signed = { epoch, signature };
      earnedB += BigInt(signed.epoch.totalWei);
      lines += `${encodeRecord({ kind: 'epoch', at: T0, source: sourceB, signed })}\n`;
    }
    await appendFile(join(dir, 'ledger.jsonl'), lines);
    await mkdir(join(dir, 'network'), { recursive: true });
    const pin = (s: typeof sourceA) => ({ coordinator: s.coordinator, chainId: s.chainId, token: null, cursor: 0, registeredAt: 0 });
    await writeFile(
      join(dir, 'network', 'client.json'),
      JSON.stringify({ deviceId: 'dev-a', owner, coordinators: { [sourceA.url]: pin(sourceA), [sourceB.url]: pin(sourceB) } }),
    );

    const clock = new FakeClock(T0);
    const steps: number[] = [];
    let book: Awaited<ReturnType<typeof openEarningsBook>> | null = null;
    const opened = openEarningsBook({
      dataDir: dir,
      detailDays: () => 7,
      clock,
      logger: new MemoryLogger(),
      changed: () => {
        const at = book?.checking();
        if (at) steps.push(at.checkedBytes / at.totalBytes);
      },
    });
    book = await opened;
    assert.notEqual(book.checking(), null, 'the check is still running once the book is open');
    assert.equal(book.earnings(), null, 'no figures before the check ends');
    await book.ready;
    assert.equal(book.checking(), null);
    assert.ok(steps.length >= 3, `progress told in steps (${steps.length})`);
    assert.ok(
      steps.every((s, i) => s >= (steps[i - 1] ?? 0) && s <= 1),
      'progress only grows, up to all of it',
    );

    const claims: ClaimRecord[] = [
      { txHash: '0x1', amount: '5', ranges: [{ deviceId: 'dev-a', firstSeq: 1, lastSeq: 1, amount: '5' }], status: 'confirmed', at: T0 },
      { txHash: '0x2', amount: '9', ranges: [{ deviceId: 'dev-a', firstSeq: 2, lastSeq: 2, amount: '9' }], status: 'failed', at: T0 },
    ];
    const shown = book.networks(keyB, { address: owner, claims });
    assert.deepEqual(
      shown.map((n) => [n.key, n.current]),
      [
        [keyB, true],
        [keyA, false],
      ],
      'the network in use first, the other apart',
    );
    assert.equal(shown[0]!.confirmedWei, String(earnedB));
    assert.equal(shown[0]!.unclaimedWei, String(earnedB - 5n), "left to claim: B's receipts less the confirmed claim");
    assert.equal(shown[1]!.confirmedWei, String(weiA));
    assert.equal(shown[1]!.unclaimedWei, null, "never claimable on the network in use: A's work");
    const another = book.networks(keyB, { address: Wallet.createRandom().address, claims: [] });
    assert.equal(another[0]!.unclaimedWei, '0', "another wallet in use: this device id's work is not its to claim");
    assert.equal(book.total(keyB)?.pendingTasks, 1);

    assert.equal(book.letGo(keyB), null, "A's pending result waits its grace period");
    clock.time = T0 + PENDING_GRACE_MS + 1;
    const told = book.letGo(keyB);
    assert.match(told ?? '', /^1 result sent to the network at http:\/\/127\.0\.0\.1:4001\/ .* no longer counted as waiting/);
    assert.doesNotMatch(told ?? '', /0x|wei|pending|ledger/i, 'plain words');
    assert.equal(book.networks(keyB, { address: owner, claims })[1]!.pendingTasks, 0);
    await book.close();
  },
);
