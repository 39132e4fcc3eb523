// A task's proof is found without reading the whole detail window (issue 32 item 5): a packed day is read through its
// table of ids, one member of the gzip file; the day being written is searched as bytes; a day whose table is missing
// or not its own is read whole, so the table can only make a proof faster, never lose it.
import assert from 'node:assert/strict';
import { open, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { Wallet } from 'ethers';
import type { EpochBundle } from '../../main/common/protocol.js';
import { proofProblem, proveReceipt } from '../../main/core/ledger/proof.js';
import { ReceiptDetail } from '../../main/core/ledger/detail.js';
import { tempDir } from '../helpers/fakes.js';
import { signedEpoch, testReceipt } from '../helpers/ledger.js';

const coordinator = Wallet.createRandom();
const owner = Wallet.createRandom().address;
const source = { url: 'http://127.0.0.1:1/', devnet: true, coordinator: coordinator.address, chainId: 31337 };
const expect = { chainId: 31337, coordinator: coordinator.address };
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 24, 12);

/** Yesterday's detail, 24 epochs of 500 tasks (~1.7 MB: more than one packed member), packed; and one epoch today. */
async function detailOfTwoDays(): Promise<{ detail: ReceiptDetail; bundles: EpochBundle[]; packed: string }> {
  const detail = new ReceiptDetail(join(await tempDir(), 'detail'), () => 7);
  const bundles: EpochBundle[] = [];
  for (let i = 0; i < 25; i++) {
    const at = i < 24 ? T0 - DAY + i * 60_000 : T0;
    const receipts = Array.from({ length: 500 }, (_, k) => testReceipt(owner, { issuedAt: at, taskId: `task-${i}-${k}` }));
    bundles.push(await signedEpoch(receipts, coordinator));
    await detail.append(at, source, bundles.at(-1)!);
  }
  return { detail, bundles, packed: join(detail.dir, '2026-11-23.jsonl.gz') };
}

/** Offsets where each gzip member of `file` starts (after the first). */
async function memberStarts(file: string): Promise<number[]> {
  const bytes = await readFile(file);
  const starts: number[] = [];
  for (let at = bytes.indexOf(Buffer.from([0x1f, 0x8b, 8]), 1); at > 0; at = bytes.indexOf(Buffer.from([0x1f, 0x8b, 8]), at + 1)) {
    try {
      gunzipSync(bytes.subarray(at));
      starts.push(at);
    } catch {
      // Bytes inside a member that only look like a header.
    }
  }
  return starts;
}

test('a task of a packed day is found through its table of ids, reading only the member that holds it', { timeout: 120_000 }, async () => {
  const { detail, bundles, packed } = await detailOfTwoDays();
  assert.deepEqual((await readdir(detail.dir)).sort(), ['2026-11-23.jsonl.gz', '2026-11-23.jsonl.gz.ids', '2026-11-24.jsonl']);
  const starts = await memberStarts(packed);
  assert.ok(starts.length >= 1, 'the day is packed as more than one member');
  const target = bundles[0]!.receipts[123]!;
  // Damage the last member (the target is in the first): a reader of the whole file would fail on it.
  const handle = await open(packed, 'r+');
  await handle.write(Buffer.alloc(64, 0xff), 0, 64, starts.at(-1)! + 40);
  await handle.close();
  const proof = await proveReceipt(detail, target.taskId);
  assert.deepEqual(proof?.receipt, target);
  assert.equal(proofProblem(proof!, expect), null);
  assert.deepEqual((await proveReceipt(detail, target.receiptId))?.receipt, target, 'by receipt id too');
  assert.equal(await proveReceipt(detail, 'task-never-run'), null);
});

test('the day being written, and a packed day without its table or with another file’s, are read whole', { timeout: 120_000 }, async () => {
  const { detail, bundles, packed } = await detailOfTwoDays();
  const today = bundles[24]!.receipts[499]!;
  assert.deepEqual((await proveReceipt(detail, today.taskId))?.receipt, today, 'found in the unpacked day as bytes');
  const yesterday = bundles[23]!.receipts[7]!;
  // A table that says its file ends elsewhere (another day's, or one left from before a crash).
  const ids = `${packed}.ids`;
  const table = await readFile(ids);
  const head = table.indexOf(0x0a) + 1;
  table.writeDoubleLE((await stat(packed)).size + 1, head + 8 * table.readUInt32LE(head));
  await writeFile(ids, table);
  assert.deepEqual((await proveReceipt(detail, yesterday.taskId))?.receipt, yesterday, 'a table not matching the file is left aside');
  await rm(ids);
  assert.deepEqual((await proveReceipt(detail, yesterday.taskId))?.receipt, yesterday, 'no table: the day read whole');
});
