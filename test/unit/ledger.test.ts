import assert from 'node:assert/strict';
import { appendFile, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { Wallet } from 'ethers';
import type { EpochBundle, Receipt } from '../../main/common/protocol.js';
import { earningsCsv } from '../../main/core/ledger/earnings.js';
import { encodeRecord } from '../../main/core/fs/checksummed-log.js';
import { Ledger, type LedgerRecord } from '../../main/core/ledger/ledger.js';
import { verifyLedgerFile } from '../../main/core/ledger/verify-file.js';
import { proofProblem, proveReceipt } from '../../main/core/ledger/proof.js';
import { recordProblem } from '../../main/core/ledger/trust.js';
import { MemoryLogger, tempDir } from '../helpers/fakes.js';
import { ledgerWei, receiptsIn, recordsOf, signedEpoch, testReceipt } from '../helpers/ledger.js';

const coordinator = Wallet.createRandom();
const owner = Wallet.createRandom().address;
const source = { url: 'http://127.0.0.1:1/', devnet: true, coordinator: coordinator.address, chainId: 31337 };
const expect = { chainId: 31337, coordinator: coordinator.address };
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 24, 22, 30);

const receipt = (over: Partial<Receipt> = {}): Receipt => testReceipt(owner, { issuedAt: T0, ...over });
const epoch = (receipts: Receipt[], by: Pick<Wallet, 'signTypedData'> = coordinator): Promise<EpochBundle> => signedEpoch(receipts, by);
const one = (over: Partial<Receipt> = {}): Promise<EpochBundle> => epoch([receipt(over)]);
const add = (ledger: Ledger, bundle: EpochBundle): Promise<boolean> => ledger.appendEpoch(bundle.epoch.issuedAt, source, bundle);
const line = ({ receipts: _, ...signed }: EpochBundle): LedgerRecord => ({ kind: 'epoch', at: signed.epoch.issuedAt, source, signed });

async function ledgerIn() {
  const dir = await tempDir();
  const ledger = await Ledger.open(join(dir, 'ledger.jsonl'));
  await ledger.verify(() => null, 0);
  return { dir, file: join(dir, 'ledger.jsonl'), ledger };
}

test('an epoch is appended once (detail beside it), survives a reopen, and every line checks out', { timeout: 120_000 }, async () => {
  const { file, ledger } = await ledgerIn();
  const bundle = await epoch([receipt(), receipt({ resourceType: 'bandwidth', taskId: '', units: '2000' })]);
  assert.equal(await add(ledger, bundle), true);
  assert.equal(await add(ledger, bundle), false, 'same epoch: skipped');
  const reopened = await Ledger.open(file);
  assert.equal((await recordsOf(reopened)).length, 1);
  await reopened.verify(() => null, 1);
  assert.equal(await add(reopened, bundle), false, 'dedup survives a restart');
  assert.deepEqual(
    (await receiptsIn(reopened)).map((r) => r.receiptId),
    bundle.receipts.map((r) => r.receiptId),
  );
  assert.deepEqual(await verifyLedgerFile(file, expect), { ok: true, records: 1, problems: [] });
});

test('a torn last line is cut off and kept aside; every earlier line stays', { timeout: 120_000 }, async () => {
  const { dir, file, ledger } = await ledgerIn();
  for (let i = 0; i < 3; i++) await add(ledger, await one());
  const whole = await readFile(file, 'utf8');
  const torn = whole.split('\n')[0]!.slice(0, 90);
  await appendFile(file, torn);
  assert.equal((await verifyLedgerFile(file, expect)).ok, false, 'verify sees the torn tail');
  const reopened = await Ledger.open(file, () => 42);
  assert.equal((await recordsOf(reopened)).length, 3);
  assert.deepEqual(reopened.report.tornTail, { bytes: 90, keptIn: `${file}.torn-42` });
  assert.equal(await readFile(file, 'utf8'), whole, 'the file is back to its last whole line');
  assert.equal(await readFile(join(dir, 'ledger.jsonl.torn-42'), 'utf8'), torn);
  await reopened.verify(() => null, 43);
  await add(reopened, await one());
  assert.deepEqual(await verifyLedgerFile(file, expect), { ok: true, records: 4, problems: [] });
});

test(
  'a whole last line with a bad checksum is a torn append too; a damaged earlier line is reported, never dropped',
  { timeout: 120_000 },
  async () => {
    const { file, ledger } = await ledgerIn();
    for (let i = 0; i < 3; i++) await add(ledger, await one());
    const lines = (await readFile(file, 'utf8')).split('\n');
    lines[1] = lines[1]!.replace('"dev-a"', '"dev-b"');
    await writeFile(file, lines.join('\n'));
    const reopened = await Ledger.open(file);
    assert.equal(await reopened.verify(() => null, 1), null);
    assert.deepEqual(reopened.report.problems, [{ line: 2, message: 'checksum mismatch' }]);
    assert.equal(reopened.report.tornTail, null);
    assert.equal((await recordsOf(reopened)).length, 2);
    assert.equal(reopened.sums.summary().total.receipts, 2, 'the damaged line is not counted');
    assert.equal((await readFile(file, 'utf8')).split('\n')[1], lines[1], 'kept for inspection');
    lines[3] = 'f'.repeat(64) + ' {}';
    await writeFile(file, lines.slice(0, 4).join('\n') + '\n');
    const again = await Ledger.open(file);
    assert.notEqual(again.report.tornTail, null);
  },
);

test(
  'the file check refuses a forged epoch, a duplicate, and detail that does not add up to its signed root',
  { timeout: 120_000 },
  async () => {
    const { file, ledger } = await ledgerIn();
    const signed = await one();
    const forged = {
      ...signed,
      epoch: { ...signed.epoch, firstSeq: signed.epoch.firstSeq + 1000, lastSeq: signed.epoch.lastSeq + 1000, totalWei: '999' },
    };
    await add(ledger, signed);
    await appendFile(file, encodeRecord(line(forged)));
    const report = await verifyLedgerFile(file, expect);
    assert.equal(report.ok, false);
    assert.match(report.problems[0]!.message, /signed by 0x/);
    await appendFile(file, (await readFile(file, 'utf8')).split('\n')[0] + '\n');
    assert.ok((await verifyLedgerFile(file, expect)).problems.some((p) => p.message === 'duplicate epoch'));

    const other = await ledgerIn();
    const bundle = await epoch([receipt(), receipt()]);
    await add(other.ledger, { ...bundle, receipts: [bundle.receipts[0]!, { ...bundle.receipts[1]!, taskId: 't-swapped' }] });
    assert.match((await verifyLedgerFile(other.file, expect)).problems.map((p) => p.message).join(), /do not add up to what was signed/);
  },
);

test('earnings: per day (local midnight), device and resource; pending until the receipt comes', { timeout: 120_000 }, async () => {
  const { ledger } = await ledgerIn();
  const a = await one({ taskId: 'task-1' });
  const b = await one({ deviceId: 'dev-b', issuedAt: T0 + DAY, resourceType: 'bandwidth', units: '5000000000' });
  const rejected = await one({ status: 'rejected', baseWei: '0', reputationBonusWei: '0', uptimeBonusWei: '0', totalWei: '0' });
  await ledger.submitted({ at: T0 - 1000, source, taskId: 'task-1', deviceId: 'dev-a', estimateWei: 7n });
  await ledger.submitted({ at: T0, source, taskId: 'task-2', deviceId: 'dev-a', estimateWei: 5n });
  assert.equal(await ledger.submitted({ at: T0, source, taskId: 'task-2', deviceId: 'dev-a', estimateWei: 5n }), false, 'once');
  for (const r of [a, b, rejected]) await add(ledger, r);
  const s = ledger.sums.summary();
  assert.equal(s.total.confirmedWei, String(BigInt(a.epoch.totalWei) + BigInt(b.epoch.totalWei)));
  assert.ok(BigInt(a.epoch.totalWei) > 0n);
  assert.equal(s.total.pendingWei, '5', 'task-2 has no receipt yet; task-1 is settled');
  assert.equal(s.total.pendingTasks, 1);
  assert.deepEqual(ledger.sums.total(), s.total, 'the running total, pending included');
  assert.equal(s.rejected, 1);
  assert.deepEqual(
    s.byDay.map((d) => d.key),
    ['2026-11-24', '2026-11-25'],
  );
  assert.deepEqual(
    ledger.sums.summary({ utcOffsetMinutes: 120 }).byDay.map((d) => d.key),
    ['2026-11-25', '2026-11-26'],
  );
  assert.deepEqual(
    s.byDevice.map((d) => [d.key, d.receipts]),
    [
      ['dev-a', 2],
      ['dev-b', 1],
    ],
  );
  assert.deepEqual(
    s.byResource.map((d) => d.key),
    ['bandwidth', 'cpu'],
  );
  assert.equal(ledger.sums.summary({ devnet: false }).total.receipts, 0, 'devnet test rewards are kept apart');
  assert.equal(ledger.sums.summary({ fromMs: T0 + DAY }).total.receipts, 1);
});

test(
  'CSV export: a header, one row per receipt in detail, per resource of an older epoch, and per pending result; exact decimals, safe cells',
  { timeout: 120_000 },
  async () => {
    const { ledger } = await ledgerIn();
    await ledger.submitted({ at: T0, source, taskId: 'task-9', deviceId: 'dev-a', estimateWei: 1_500_000_000_000_000n });
    const old = await one({ issuedAt: T0 - 30 * DAY, units: '7000' });
    await add(ledger, await one({ deviceId: 'dev-a', units: '2500000000' }));
    const csv = await earningsCsv({
      detail: ledger.detail.lines(),
      epochs: (async function* () {
        yield line(old);
        yield* ledger.records();
      })(),
      pending: ledger.sums.pendingResults(),
    });
    const rows = csv.trimEnd().split('\r\n');
    assert.equal(rows.length, 4);
    assert.match(rows[0]!, /^time_utc,status,receipt_id,task_id,/);
    assert.match(
      rows[1]!,
      new RegExp(
        `,epoch,epoch ${old.epoch.firstSeq}-${old.epoch.lastSeq},,dev-a,0x[0-9a-fA-F]{40},cpu,7000,floating-point operations,,,,,,,0\\.000000000000077,http`,
      ),
    );
    assert.match(rows[2]!, /,verified,r-\d+,t-\d+,dev-a,0x[0-9a-fA-F]{40},cpu,2500000000,floating-point operations,100,50,50,/);
    assert.match(rows[3]!, /,pending,,task-9,dev-a,.*,0\.0015,http:\/\/127\.0\.0\.1:1\/,true$/);
  },
);

test('a ledger in a folder that does not exist yet is created on open', { timeout: 120_000 }, async () => {
  const dir = await tempDir();
  const ledger = await Ledger.open(join(dir, 'deep', 'er', 'ledger.jsonl'));
  await assert.rejects(add(ledger, await one()), /append before verify/, 'nothing is appended unchecked');
  await ledger.verify(() => null, 1);
  await add(ledger, await one());
  assert.deepEqual((await readdir(join(dir, 'deep', 'er'))).sort(), ['ledger.jsonl', 'ledger.jsonl.detail', 'ledger.jsonl.index']);
});

const trust = recordProblem({ deviceIds: ['dev-a'], coordinators: [{ coordinator: coordinator.address, chainId: 31337 }] });

test(
  "at load every line is checked: a forged 1-SYNOR epoch, another device's and a stranger's are set aside with reasons, never counted",
  { timeout: 120_000 },
  async () => {
    const { file, ledger } = await ledgerIn();
    const good = await one();
    await add(ledger, good);
    const forged = { ...good, epoch: { ...good.epoch, firstSeq: 500, lastSeq: 500, totalWei: '1000000000000000000' } };
    await appendFile(file, encodeRecord(line(forged)));
    await appendFile(file, encodeRecord(line(await one({ deviceId: 'dev-other' }))));
    const stranger = Wallet.createRandom();
    await appendFile(
      file,
      encodeRecord({ ...line(await epoch([receipt()], stranger)), source: { ...source, coordinator: stranger.address } }),
    );
    await appendFile(file, encodeRecord(line(await epoch([receipt()], stranger))));
    const reopened = await Ledger.open(file, () => 7);
    assert.equal((await recordsOf(reopened)).length, 5, 'they parse, so the loader alone would count them');
    const report = await reopened.verify(trust, 7);
    assert.equal(report?.count, 4);
    assert.equal(report?.keptIn, `${file}.set-aside-7`);
    const reasons = report!.reasons.join('\n');
    for (const why of [/signed by 0x/, /for device dev-other/, /never joined/]) assert.match(reasons, why);
    assert.deepEqual(
      (await recordsOf(reopened)).map((r) => r.signed.epoch.firstSeq),
      [good.epoch.firstSeq],
    );
    assert.equal(await ledgerWei(reopened), BigInt(good.epoch.totalWei));
    assert.equal(reopened.sums.summary().total.confirmedWei, good.epoch.totalWei, 'only the good one is counted');
    assert.equal((await readFile(`${file}.set-aside-7`, 'utf8')).split('\n').length, 9, 'each kept aside with its reason');
    assert.equal(await (await Ledger.open(file)).verify(trust, 8), null, 'a second start finds nothing more');
  },
);

test(
  'the check resumes where it stopped; a flipped byte inside the checked part, or a torn last line, is still caught',
  { timeout: 120_000 },
  async () => {
    const { file, ledger } = await ledgerIn();
    for (let i = 0; i < 3; i++) await add(ledger, await one());
    assert.equal(await ledger.verify(trust, 1), null);
    await add(ledger, await one());
    await ledger.saveCheckpoint();
    const checked = JSON.parse((await readFile(`${file}.index`, 'utf8')).slice(65)) as { bytes: number };
    assert.equal(checked.bytes, (await readFile(file)).length, 'appends were checked before they were written');

    // A forger rewrites an amount and its line checksum: the checked prefix no longer hashes the same.
    const lines = (await readFile(file, 'utf8')).split('\n');
    const record = JSON.parse(lines[1]!.slice(65)) as LedgerRecord;
    record.signed.epoch.totalWei = '999999999999';
    lines[1] = encodeRecord(record).trimEnd();
    await writeFile(file, lines.join('\n') + 'deadbeef');
    const reopened = await Ledger.open(file, () => 2);
    assert.notEqual(reopened.report.tornTail, null, 'the torn tail is cut and kept');
    const report = await reopened.verify(trust, 2);
    assert.equal(report?.count, 1);
    assert.equal((await recordsOf(reopened)).length, 3);
    assert.equal(reopened.sums.summary().total.receipts, 3, 'counted again from the file, without the forged line');
  },
);

test(
  'a start reads the index and checks only the lines written after it; a damaged index is rebuilt from the file',
  { timeout: 120_000 },
  async () => {
    const { file, ledger } = await ledgerIn();
    await ledger.verify(trust, 1);
    for (let i = 0; i < 4; i++) await add(ledger, await one({ issuedAt: T0 + i * 60_000 }));
    await ledger.saveCheckpoint();
    const before = ledger.sums.summary({ utcOffsetMinutes: 60 });
    let checks = 0;
    const counting = (r: LedgerRecord) => (checks++, trust(r));
    const again = await Ledger.open(file);
    await again.verify(counting, 2);
    assert.equal(checks, 0, 'nothing new since the index');
    assert.deepEqual(again.sums.summary({ utcOffsetMinutes: 60 }), before);
    await add(again, await one({ issuedAt: T0 + DAY }));
    await appendFile(file, encodeRecord(line(await one({ issuedAt: T0 + DAY }))));
    const third = await Ledger.open(file);
    await third.verify(counting, 3);
    assert.equal(checks, 2, 'the two lines written after the last index');
    assert.equal(third.sums.summary().total.receipts, 6);
    assert.deepEqual(third.sums.total(), third.sums.summary().total, "the running total is the summary's, after a reopen too");
    await writeFile(`${file}.index`, 'damaged');
    checks = 0;
    const rebuilt = await Ledger.open(file);
    await rebuilt.verify(counting, 4);
    assert.equal(checks, 6, 'every line checked again');
    assert.deepEqual(rebuilt.sums.summary(), third.sums.summary());
  },
);

test(
  'sums by minute for two days, then by quarter hour: totals, devices and local days stay exact (UTC+5:45 too)',
  { timeout: 120_000 },
  async () => {
    const { file, ledger } = await ledgerIn();
    await ledger.verify(trust, 1);
    const times = [T0 - 5 * DAY + 7 * 60_000, T0 - 3 * DAY - 1, T0 - 3 * DAY + 44 * 60_000, T0, T0 + 3 * DAY];
    const all: EpochBundle[] = [];
    for (const issuedAt of times) all.push(await one({ issuedAt }));
    for (const r of all) await add(ledger, r);
    await ledger.saveCheckpoint(); // merges minutes older than two days into quarter hours
    const reopened = await Ledger.open(file);
    await reopened.verify(trust, 2);
    for (const utcOffsetMinutes of [0, 345, -210]) {
      const s = reopened.sums.summary({ utcOffsetMinutes });
      const days = new Map<string, bigint>();
      for (const { epoch: e } of all) {
        const day = new Date(e.closedAt + utcOffsetMinutes * 60_000).toISOString().slice(0, 10);
        days.set(day, (days.get(day) ?? 0n) + BigInt(e.totalWei));
      }
      assert.deepEqual(
        s.byDay.map((d) => [d.key, d.confirmedWei]),
        [...days].sort().map(([k, v]) => [k, String(v)]),
        `offset ${utcOffsetMinutes}`,
      );
    }
    assert.equal(
      reopened.sums.summary({ fromMs: T0 + 3 * DAY - 1, toMs: T0 + 3 * DAY + 60_000 }).total.receipts,
      1,
      'a minute slot in the last two days',
    );
    assert.equal(reopened.sums.summary({ fromMs: T0 - 3 * DAY }).total.receipts, 3, 'a quarter hour counts when it overlaps the range');
    assert.deepEqual(
      reopened.sums.newest().map((r) => r.seq),
      all.map((r) => r.receipts[0]!.seq),
      'the newest receipts, whole',
    );
  },
);

test(
  "time online from availability receipts, and since when there is any: what the estimate's availability rests on",
  { timeout: 120_000 },
  async () => {
    const { ledger } = await ledgerIn();
    assert.deepEqual(ledger.sums.since(0), { earnedWei: 0n, onlineHours: 0, firstOnlineAt: null });
    const hour = 3_600_000;
    for (const issuedAt of [T0, T0 + DAY]) await add(ledger, await one({ issuedAt, resourceType: 'availability', units: String(hour) }));
    await add(ledger, await one({ issuedAt: T0 - DAY }));
    const week = ledger.sums.since(T0 - 7 * DAY);
    assert.equal(week.onlineHours, 2);
    assert.equal(week.firstOnlineAt, Math.floor(T0 / 60_000) * 60_000, 'the first availability receipt, not the earlier compute one');
  },
);

test(
  'detail: a finished day is packed, a day past the window deleted; a receipt in the window proves offline against its signed epoch, a tampered one does not',
  { timeout: 120_000 },
  async () => {
    const dir = await tempDir();
    const file = join(dir, 'ledger.jsonl');
    const ledger = await Ledger.open(
      file,
      () => T0,
      () => 2,
    );
    await ledger.verify(() => null, 0);
    const days = [T0 - 3 * DAY, T0 - DAY, T0];
    const bundles: EpochBundle[] = [];
    for (const at of days) {
      const bundle = await epoch(Array.from({ length: 5 }, (_, i) => receipt({ issuedAt: at, taskId: `task-${at}-${i}` })));
      bundles.push(bundle);
      await ledger.appendEpoch(at, source, bundle);
    }
    const names = (await readdir(`${file}.detail`)).sort();
    assert.deepEqual(
      names,
      ['2026-11-23.jsonl.gz', '2026-11-23.jsonl.gz.ids', '2026-11-24.jsonl'],
      'three days ago left the window of 2; yesterday is packed, with its table of ids',
    );
    assert.deepEqual(
      (await receiptsIn(ledger)).map((r) => r.taskId),
      [...bundles[1]!.receipts, ...bundles[2]!.receipts].map((r) => r.taskId),
      'packed lines read back',
    );
    assert.equal(ledger.sums.summary().total.receipts, 15, 'earnings keep every epoch, whatever the detail window');

    const target = bundles[1]!.receipts[3]!;
    const proof = await proveReceipt(ledger.detail, target.taskId);
    assert.deepEqual(proof?.receipt, target);
    assert.equal(proof?.index, 3);
    // Only what travels in the proof, and the coordinator's address: no ledger, no network.
    const shipped = JSON.parse(JSON.stringify(proof)) as NonNullable<typeof proof>;
    assert.equal(proofProblem(shipped, expect), null);
    const refused = (proof: typeof shipped, by = expect): string => proofProblem(proof, by)?.message ?? 'proven';
    assert.match(refused({ ...shipped, receipt: { ...shipped.receipt, totalWei: String(BigInt(target.totalWei) + 1n) } }), /split|path/);
    assert.match(refused({ ...shipped, receipt: { ...shipped.receipt, taskId: 'task-other' } }), /path does not lead/);
    assert.match(refused({ ...shipped, index: 2 }), /not at place 2/);
    assert.match(refused(shipped, { ...expect, coordinator: Wallet.createRandom().address }), /signed by/);
    assert.equal(await proveReceipt(ledger.detail, bundles[0]!.receipts[0]!.taskId), null, "past the window: only its epoch's sums remain");
  },
);

test(
  "a crash in the middle of an epoch's detail line: the half line is cut off at the next append, so the epoch fetched again keeps its detail",
  { timeout: 120_000 },
  async () => {
    const { file, ledger } = await ledgerIn();
    const [first, second] = [await one(), await one()];
    await add(ledger, first);
    await add(ledger, second);
    // The crash: half of the second epoch's detail is on disk, its ledger line is not.
    const dayFile = join(`${file}.detail`, (await readdir(`${file}.detail`))[0]!);
    const detailLines = (await readFile(dayFile, 'utf8')).split('\n');
    await writeFile(dayFile, `${detailLines[0]}\n${detailLines[1]!.slice(0, 200)}`);
    await writeFile(file, `${(await readFile(file, 'utf8')).split('\n')[0]}\n`);
    await writeFile(`${file}.index`, 'gone with the crash');
    const restarted = await Ledger.open(file, () => 5);
    await restarted.verify(trust, 5);
    assert.equal(await add(restarted, second), true, 'fetched again after the crash');
    assert.deepEqual(
      (await receiptsIn(restarted)).map((r) => r.seq),
      [first.receipts[0]!.seq, second.receipts[0]!.seq],
    );
    assert.equal(
      await readFile(`${dayFile}.torn-${second.epoch.issuedAt}`, 'utf8'),
      detailLines[1]!.slice(0, 200),
      'the half line kept aside',
    );
    assert.deepEqual(await verifyLedgerFile(file, expect), { ok: true, records: 2, problems: [] });

    // And the file check notices an epoch whose detail is gone from a day that is kept.
    await writeFile(dayFile, `${detailLines[0]}\n`);
    assert.match((await verifyLedgerFile(file, expect)).problems.map((p) => p.message).join(), /its receipts are missing from the detail/);
  },
);

test(
  'detail housekeeping that fails (its folder cannot be made) is logged and never holds earnings back',
  { timeout: 120_000 },
  async () => {
    const dir = await tempDir();
    const file = join(dir, 'ledger.jsonl');
    await writeFile(`${file}.detail`, 'a file where the folder should be');
    const logger = new MemoryLogger();
    const ledger = await Ledger.open(
      file,
      () => T0,
      () => 7,
      logger,
    );
    await ledger.verify(() => null, 0);
    const bundle = await one();
    assert.equal(await add(ledger, bundle), true);
    assert.equal(ledger.sums.summary().total.receipts, 1, 'counted');
    assert.equal((await recordsOf(file)).length, 1, 'and its epoch line is on disk');
    assert.match(logger.lines.join('\n'), /receipt detail: .*earnings are not affected/);
  },
);
