// Every line left out is said, once (issue 27 item 7), at the ledger itself: a repeated epoch line is counted once and
// reported; a damaged per-task detail line is told once, across the start's check, the background recount of a
// forged index and a later read of the detail (a CSV export, a proof).
import assert from 'node:assert/strict';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { Wallet } from 'ethers';
import { dayName } from '../../main/core/ledger/detail.js';
import { Ledger } from '../../main/core/ledger/ledger.js';
import { recordProblem } from '../../main/core/ledger/trust.js';
import { tempDir } from '../helpers/fakes.js';
import { forgeIndex, signedEpoch, testReceipt } from '../helpers/ledger.js';

const coordinator = Wallet.createRandom();
const owner = Wallet.createRandom().address;
const source = { url: 'http://127.0.0.1:1/', devnet: true, coordinator: coordinator.address, chainId: 31337 };
const trust = recordProblem({ deviceIds: ['dev-a'], coordinators: [{ coordinator: coordinator.address, chainId: 31337 }] });

test(
  'a repeated line is counted once and reported; a damaged detail line is told once however often it is read',
  { timeout: 60_000 },
  async () => {
    const file = join(await tempDir(), 'ledger.jsonl');
    const at = Date.now();
    const writer = await Ledger.open(file);
    await writer.verify(trust, 0);
    let truth = 0n;
    for (let seq = 1; seq <= 3; seq++) {
      const bundle = await signedEpoch([testReceipt(owner, { seq })], coordinator);
      truth += BigInt(bundle.epoch.totalWei);
      await writer.appendEpoch(at, source, bundle);
    }
    await writer.saveCheckpoint();

    // After the index: the second epoch's line again, a receipt's amount edited in the detail, and the index's sums forged.
    const lines = (await readFile(file, 'utf8')).split('\n');
    await appendFile(file, `${lines[1]}\n`);
    const dayFile = join(`${file}.detail`, `${dayName(at)}.jsonl`);
    const detail = (await readFile(dayFile, 'utf8')).split('\n');
    detail[0] = detail[0]!.replace(/"(\d+)"/, (_m, digits: string) => `"${digits}1"`);
    await writeFile(dayFile, detail.join('\n'));
    await forgeIndex(file, 10n ** 18n);

    const told: [number, string][] = [];
    const ledger = await Ledger.open(
      file,
      () => at,
      () => 7,
      undefined,
      (count, where) => told.push([count, where]),
    );
    assert.equal(await ledger.verify(trust, at), null, 'nothing set aside: a repeat is not a bad line');
    assert.equal(ledger.report.repeated, 1);
    assert.equal(await ledger.auditIndex(at), true, 'the forged sums are recounted from the lines, detail read with them');
    assert.equal(ledger.report.repeated, 1, 'the recount finds the same repeat');
    assert.equal(BigInt(ledger.sums.total().confirmedWei), truth, 'the repeated epoch counted once');
    const kept: number[] = [];
    for await (const line of ledger.detail.lines()) kept.push(line.signed.epoch.firstSeq);
    assert.deepEqual(kept, [2, 3], 'the damaged line (the first epoch) is left out of what the detail gives');
    assert.deepEqual(told, [[1, dayFile]], 'told once, with the file that keeps it');
  },
);
