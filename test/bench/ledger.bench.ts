// A year of earnings in the ledger (issue 15 item 12). A device kept busy at 10 tasks a second earns a compute and a
// bandwidth receipt per task, and an availability receipt every 10 minutes: the ledger's sums keep one slot per
// quarter hour (minutes for the newest two days) per kind, whatever the number of tasks. The bench writes a ledger
// whose receipts fill every slot of a year (each standing for a quarter hour of that work, so the sums are a real
// year's size), then measures a restart, the earnings queries and the memory the ledger holds, against the
// previous design in the same run: every line read and kept, and each query a pass over all of them.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { rewardWei } from '../../main/core/economics/rewards.js';
import { decodeRecord, encodeRecord } from '../../main/core/fs/checksummed-log.js';
import { fileLines } from '../../main/core/fs/lines.js';
import { Ledger, LedgerRecordSchema, type LedgerRecord } from '../../main/core/ledger/ledger.js';
import { LedgerTotals } from '../../main/core/ledger/totals.js';
import { tempDir } from '../helpers/fakes.js';

setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;
const heap = (): number => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};
const time = async <T>(run: () => Promise<T> | T): Promise<[T, number]> => {
  const t = performance.now();
  const value = await run();
  return [value, performance.now() - t];
};
const MB = 1024 * 1024;
const QUARTER = 15 * 60_000;
const YEAR = 365 * 86_400_000;
const TASKS_PER_SECOND = 10;
const END = Date.UTC(2026, 11, 1);
const source = { url: 'https://coordinator.example/', devnet: false, coordinator: '0x' + '1'.repeat(40) };
const signature = '0x' + 'ab'.repeat(65);

let seq = 0;
function line(resourceType: 'cpu' | 'bandwidth' | 'availability', units: bigint, issuedAt: number): string {
  const r = { receiptId: `r-${++seq}`, seq, taskId: `t-${seq}`, deviceId: 'dev-a', owner: '0x' + '2'.repeat(40), resourceType, status: 'verified' as const, units: String(units), durationMs: 200, uptimeBp: 9000, reputation: 80, ...rewardWei(resourceType, units, 80, 9000), issuedAt };
  return encodeRecord({ kind: 'receipt', at: issuedAt, source, signed: { receipt: r, signature } } satisfies LedgerRecord);
}

const dir = await tempDir('synor-ledger-bench-');
const file = join(dir, 'ledger.jsonl');
const tasksPerQuarter = BigInt(TASKS_PER_SECOND * 900);
const chunks: string[] = [];
for (let at = END - YEAR; at < END; at += QUARTER) {
  // Two days of minutes at the end, as a busy device leaves them; a quarter hour of work per line before that.
  const fine = at >= END - 2 * 86_400_000;
  for (let step = 0; step < (fine ? 15 : 1); step++) {
    const share = fine ? tasksPerQuarter / 15n : tasksPerQuarter;
    const t = at + step * 60_000;
    chunks.push(line('cpu', share * 2_000_000_000n, t), line('bandwidth', share * 100_000n, t), ...(step % 10 === 0 ? [line('availability', 600_000n, t)] : []));
  }
}
await writeFile(file, chunks.join(''));
const lines = chunks.length;
const bytes = chunks.reduce((n, c) => n + c.length, 0);
chunks.length = 0;

const empty = heap();
const first = await Ledger.open(file);
const [, firstStartMs] = await time(() => first.verify(() => null, 0));
await first.saveCheckpoint();
const base = heap();

// The previous design, same file: every line read, decoded and kept, every query a pass over all of them.
const [records, oldOpenMs] = await time(async () => {
  const out: LedgerRecord[] = [];
  for await (const { text } of fileLines(file)) {
    const decoded = decodeRecord(text, LedgerRecordSchema);
    if (typeof decoded !== 'string') out.push(decoded);
  }
  return out;
});
const oldHeld = heap() - base;
const [, oldQueryMs] = await time(() => {
  const t = new LedgerTotals();
  for (const r of records) t.add(r);
  return t.summary({ utcOffsetMinutes: 60 });
});
records.length = 0;

const before = heap();
const [ledger, openMs] = await time(() => Ledger.open(file));
const [, verifyMs] = await time(() => ledger.verify(() => null, 1));
const held = heap() - before;
const queries: number[] = [];
for (const q of [{ utcOffsetMinutes: 60 }, { fromMs: END - 3_600_000 }, { fromMs: END - 30 * 86_400_000, utcOffsetMinutes: 345 }]) {
  queries.push((await time(() => ledger.sums.summary(q)))[1]);
}
const [, sinceMs] = await time(() => ledger.sums.since(END - 30 * 86_400_000));
const queryMs = Math.max(...queries, sinceMs);
const summary = ledger.sums.summary();

const yearTasks = TASKS_PER_SECOND * YEAR / 1000;
const perTaskBytes = (bytes / lines) * 2; // a compute and a bandwidth receipt
const goals = [
  { name: 'restart (index + lines since)', value: openMs + verifyMs, goal: 1000, unit: 'ms', base: oldOpenMs },
  { name: 'slowest earnings query', value: queryMs, goal: 50, unit: 'ms', base: oldQueryMs },
  { name: 'memory held over an empty ledger', value: held / MB, goal: 20, unit: 'MB', base: oldHeld / MB },
];
console.log(`# a year at ${TASKS_PER_SECOND} tasks/s (${(yearTasks / 1e6).toFixed(0)} M tasks) in ${lines} lines, ${(bytes / MB).toFixed(0)} MB; ${summary.total.confirmed} SYNOR; first start (every line checked, index written): ${firstStartMs.toFixed(0)} ms`);
console.log(`# restart: open ${openMs.toFixed(1)} ms + check of the checked part's hash and new lines ${verifyMs.toFixed(1)} ms; empty ledger heap ${(empty / MB).toFixed(1)} MB`);
for (const g of goals) {
  console.log(`${g.name}: ${g.value.toFixed(1)} ${g.unit} (goal ≤ ${g.goal}) — every line read and kept: ${g.base.toFixed(1)} ${g.unit}, ratio ${(g.value / g.base).toFixed(3)}`);
}
console.log(
  `disk: a signed receipt line is ~${(bytes / lines).toFixed(0)} bytes, so every task's receipts kept for a year would take ${((yearTasks * perTaskBytes) / 1024 ** 4).toFixed(1)} TB (goal ≤ 2 GB): not met; per-task detail needs epoch receipts with rolling segments (issue 15 item 12, next)`,
);
const failed = goals.filter((g) => g.value > g.goal);
if (failed.length) {
  console.error(`FAILED: ${failed.map((g) => g.name).join(', ')}`);
  process.exit(1);
}
