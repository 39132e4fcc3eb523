// Totals cannot be edited, and a lost history is said (issue 26 items 2 and 3): the sums a start reads from
// `ledger.jsonl.index` are recounted from the signed epochs in the background and rebuilt when they disagree; an
// emptied or replaced ledger is noticed, its earlier index kept aside.
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { Wallet } from 'ethers';
import type { EpochBundle, Receipt } from '../../main/common/protocol.js';
import { Ledger } from '../../main/core/ledger/ledger.js';
import { recordProblem } from '../../main/core/ledger/trust.js';
import { tempDir } from '../helpers/fakes.js';
import { forgeIndex, ledgerWei, signedEpoch, testReceipt } from '../helpers/ledger.js';

const coordinator = Wallet.createRandom();
const owner = Wallet.createRandom().address;
const source = { url: 'http://127.0.0.1:1/', devnet: true, coordinator: coordinator.address, chainId: 31337 };
const trust = recordProblem({ deviceIds: ['dev-a'], coordinators: [{ coordinator: coordinator.address, chainId: 31337 }] });
const T0 = Date.UTC(2026, 10, 24, 22, 30);
const WEI_PER_SYNOR = 10n ** 18n;

const receipt = (over: Partial<Receipt> = {}): Receipt => testReceipt(owner, { issuedAt: T0, ...over });
const wei = (ledger: Ledger): bigint => BigInt(ledger.sums.total().confirmedWei);

/** A ledger of `n` signed epochs, closed with its index written. */
async function ledgerOf(n: number): Promise<{ file: string; truth: bigint }> {
  const file = join(await tempDir(), 'ledger.jsonl');
  const ledger = await Ledger.open(file);
  await ledger.verify(trust, 0);
  for (let i = 0; i < n; i++) {
    const bundle: EpochBundle = await signedEpoch([receipt({ issuedAt: T0 + i * 60_000 })], coordinator);
    await ledger.appendEpoch(bundle.epoch.issuedAt, source, bundle);
  }
  await ledger.saveCheckpoint();
  return { file, truth: await ledgerWei(file) };
}

async function reopen(file: string, now = 1): Promise<Ledger> {
  const ledger = await Ledger.open(file);
  await ledger.verify(trust, now);
  return ledger;
}

test(
  'an index whose sums were raised (checksum recomputed) is caught by the recount and rebuilt from the signed epochs',
  { timeout: 60_000 },
  async () => {
    const { file, truth } = await ledgerOf(5);
    assert.ok(truth > 0n);
    await forgeIndex(file, WEI_PER_SYNOR);

    const forged = await reopen(file);
    assert.equal(wei(forged), truth + WEI_PER_SYNOR, 'the start reads the index (flat), so the forged sum shows first');
    assert.equal(await forged.auditIndex(2), true, 'the recount disagrees: rebuilt');
    assert.equal(wei(forged), truth, 'after the rebuild the total is what the signed epochs add up to');
    assert.ok(
      (await readdir(join(file, '..'))).some((n) => n.startsWith('ledger.jsonl.index.bad-')),
      'the forged index is kept aside',
    );
    await forged.saveCheckpoint();

    const next = await reopen(file, 3);
    assert.equal(wei(next), truth, 'the rebuilt index is what the next start reads');
    assert.equal(await next.auditIndex(4), false, 'and it agrees with the lines');
  },
);

test('an honest index passes the recount, also with epochs appended while it runs', { timeout: 60_000 }, async () => {
  const { file, truth } = await ledgerOf(4);
  const ledger = await reopen(file);
  const late: EpochBundle = await signedEpoch([receipt({ issuedAt: T0 + 3_600_000 })], coordinator);
  const [rebuilt] = await Promise.all([ledger.auditIndex(2), ledger.appendEpoch(late.epoch.issuedAt, source, late)]);
  assert.equal(rebuilt, false);
  assert.equal(wei(ledger), truth + BigInt(late.epoch.totalWei));
});

for (const [name, damage] of [
  ['emptied', ''],
  ['all garbage', 'garbage line one\ngarbage line two\n'],
] as const) {
  test(`an ${name} ledger is noticed: how many records it held, and the earlier index kept aside`, { timeout: 60_000 }, async () => {
    const { file } = await ledgerOf(3);
    await writeFile(file, damage);
    const ledger = await reopen(file, 7);
    assert.deepEqual(ledger.report.replaced, { recordsBefore: 3, recordsNow: 0, indexKeptIn: `${file}.index.bad-7` });
    assert.ok((await readFile(`${file}.index.bad-7`, 'utf8')).length > 0);
    assert.equal(wei(ledger), 0n);
  });
}
