// A start costs the same after a year as after a day (issue 32 item 5): past a few MB, the part of the ledger its
// index vouches for is hashed in the background, not before the figures are given. An edit there is still found (by
// the background audit) and the ledger checked again; lines appended meanwhile reach the next index, which the next
// start trusts.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { encodeRecord } from '../../main/core/fs/checksummed-log.js';
import { HASH_ON_START } from '../../main/core/ledger/file-hash.js';
import { Ledger } from '../../main/core/ledger/ledger.js';
import type { LedgerRecord } from '../../main/core/ledger/record.js';
import { epochOf } from '../../main/core/receipts/epochs.js';
import { tempDir } from '../helpers/fakes.js';
import { ledgerWei, testReceipt } from '../helpers/ledger.js';

const owner = '0x' + '2'.repeat(40);
const source = { url: 'http://127.0.0.1:1/', devnet: true, coordinator: '0x' + '1'.repeat(40), chainId: 31337 };
const T0 = Date.UTC(2026, 10, 1);
const signature = '0x' + 'ab'.repeat(65);
/** Lines are checked with no signature check here: what is measured is what the start reads. */
const anyLine = (): null => null;

const record = (i: number): LedgerRecord => {
  const epoch = epochOf([testReceipt(owner, { issuedAt: T0 + i * 60_000 })], T0 + i * 60_000 + 1);
  return { kind: 'epoch', at: epoch.closedAt, source, signed: { epoch, signature } };
};

/** A ledger past HASH_ON_START, its index written. */
async function largeLedger(): Promise<{ file: string; lines: string[] }> {
  const file = join(await tempDir(), 'ledger.jsonl');
  const lines: string[] = [];
  for (let i = 0, bytes = 0; bytes <= HASH_ON_START + 100_000; i++) {
    lines.push(encodeRecord(record(i)));
    bytes += lines.at(-1)!.length;
  }
  await writeFile(file, lines.join(''));
  const first = await Ledger.open(file);
  await first.verify(anyLine, 0);
  await first.saveCheckpoint();
  return { file, lines };
}

test(
  'an edit inside a large index’s part is found by the background audit, and the ledger checked again',
  { timeout: 120_000 },
  async () => {
    const { file, lines } = await largeLedger();
    const truth = await ledgerWei(file);
    // Same length, so the file still fits the index: a damaged line in the middle.
    const middle = Math.floor(lines.length / 2);
    lines[middle] = lines[middle]!.replace(/"totalWei":"(\d)/, (_m, d: string) => `"totalWei":"${d === '9' ? '8' : '9'}`);
    await writeFile(file, lines.join(''));

    const ledger = await Ledger.open(file);
    await ledger.verify(anyLine, 1);
    assert.deepEqual(ledger.report.problems, [], 'the start took the index: nothing read of its part yet');
    assert.equal(await ledger.auditIndex(2), true, 'the background audit finds the part does not hash as the index said');
    assert.deepEqual(ledger.report.problems, [{ line: middle + 1, message: 'checksum mismatch' }]);
    assert.ok(ledger.sums.total().receipts === lines.length - 1, 'the damaged line is no longer counted');
    assert.ok((await ledgerWei(file)) < truth);
  },
);

test(
  'lines appended while a large index’s part is hashed reach the next index, and the next start trusts it',
  { timeout: 120_000 },
  async () => {
    const { file, lines } = await largeLedger();
    const ledger = await Ledger.open(file);
    await ledger.verify(anyLine, 1);
    for (let i = 0; i < 3; i++) {
      const r = record(lines.length + i);
      assert.equal(await ledger.appendEpoch(r.at, source, { ...r.signed, receipts: [] }), true);
    }
    assert.equal(await ledger.auditIndex(2), false, 'nothing was changed');
    await ledger.saveCheckpoint();
    const index = JSON.parse((await readFile(`${file}.index`, 'utf8')).slice(65)) as { bytes: number; lines: number };
    assert.equal(index.lines, lines.length + 3);
    assert.equal(index.bytes, (await readFile(file)).length);

    const again = await Ledger.open(file);
    await again.verify(anyLine, 3);
    assert.equal(await again.auditIndex(4), false, 'the new index hashes as it says');
    assert.equal(again.sums.total().receipts, lines.length + 3);
  },
);
