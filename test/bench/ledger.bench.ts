// A year of earnings in the ledger (issue 15 item 12; goals of issue 32 item 5). A device kept busy at 10 tasks a second earns a compute
// receipt per task, a bandwidth receipt per epoch and an availability receipt every 10 minutes; its coordinator signs
// one epoch a minute (600 tasks). The ledger keeps one line per epoch and sums per quarter hour (minutes for the
// newest two days), whatever the number of tasks; per-task detail lives in day files, packed once the day is over,
// for the detail window (7 days by default). The bench writes a ledger whose epochs fill every slot of a year (each
// line standing for a quarter hour of that work, so the sums are a real year's size) and one real day of detail,
// then measures a restart, the earnings queries, the memory the ledger holds, the disk of a year with the default
// window, and proving a task from the day being written and from a packed day, against the previous design where it
// applies: every line read and kept, each query a pass over all of them, every detail line read back to find a task.
// Then a week of epochs signed for real (10,080) is checked from scratch, as a first start does, against the check
// of one line at a time with ethers (the way before, measured on a tenth of the week in the same run).
// Timings are printed with "met" / "NOT met" and do not fail the run (a shared machine makes them rough, as in the
// other benches); a figure the ledger got wrong does.
// SYNOR_BENCH_LEDGER picks parts (comma-separated; all by default): `year` (restart, queries, memory, the recount),
// `proof` (a day of detail, a task's proof) and `week` (the first check of a week of signed epochs); the disk figure
// needs `year` and `proof`. For example `SYNOR_BENCH_LEDGER=week npm run bench -- ledger`.
import { randomUUID } from 'node:crypto';
import { stat, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { getBytes, Wallet } from 'ethers';
import { recover, signRecoverable } from 'tiny-secp256k1';
import { runInNewContext } from 'node:vm';
import { rewardWei } from '../../main/core/economics/rewards.js';
import { decodeRecord, encodeRecord } from '../../main/core/fs/checksummed-log.js';
import { fileLines } from '../../main/core/fs/lines.js';
import type { Epoch, Receipt } from '../../main/common/protocol.js';
import { ReceiptDetail, receiptsOf } from '../../main/core/ledger/detail.js';
import { Ledger } from '../../main/core/ledger/ledger.js';
import { epochDigester } from '../../main/core/ledger/epoch-digest.js';
import { LedgerRecordSchema, type LedgerRecord } from '../../main/core/ledger/record.js';
import { recordProblem } from '../../main/core/ledger/trust.js';
import { proveReceipt } from '../../main/core/ledger/proof.js';
import { epochOf } from '../../main/core/receipts/epochs.js';
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
/** The median of three runs: one run on a shared machine says more about the neighbours than about the code. */
const median3 = async (run: () => Promise<unknown> | unknown): Promise<number> => {
  const runs = [(await time(run))[1], (await time(run))[1], (await time(run))[1]];
  return runs.sort((a, b) => a - b)[1]!;
};
const MB = 1024 * 1024;
const QUARTER = 15 * 60_000;
const YEAR = 365 * 86_400_000;
const TASKS_PER_SECOND = 10;
const END = Date.UTC(2026, 11, 1);
const source = { url: 'https://coordinator.example/', devnet: false, coordinator: '0x' + '1'.repeat(40), chainId: 1 };
const signature = '0x' + 'ab'.repeat(65);
const owner = '0x' + '2'.repeat(40);
const root = '0x' + 'cd'.repeat(32);

let seq = 0;
function receipt(resourceType: Receipt['resourceType'], units: bigint, issuedAt: number, taskId: string): Receipt {
  return {
    receiptId: randomUUID(),
    seq: ++seq,
    taskId,
    deviceId: 'dev-a',
    owner,
    resourceType,
    status: 'verified',
    units: String(units),
    durationMs: 100,
    uptimeBp: 9000,
    reputation: 80,
    ...rewardWei(resourceType, units, 80, 9000),
    issuedAt,
  };
}
let expectedWei = 0n;
/**
 * An epoch line for `tasks` tasks' worth of work ending at `at`. A line standing for a quarter hour has that quarter's
 * sums but a seq range of a minute's epoch (at most 4,096 receipts), so its size is a real epoch line's.
 */
function epochLine(tasks: bigint, at: number, availability: boolean): string {
  const sums: Epoch['sums'] = [
    {
      resourceType: 'cpu',
      receipts: Number(tasks),
      rejected: 0,
      units: String(tasks * 2_000_000_000n),
      totalWei: rewardWei('cpu', tasks * 2_000_000_000n, 80, 9000).totalWei,
    },
    {
      resourceType: 'bandwidth',
      receipts: 1,
      rejected: 0,
      units: String(tasks * 100_000n),
      totalWei: rewardWei('bandwidth', tasks * 100_000n, 80, 9000).totalWei,
    },
    ...(availability
      ? [
          {
            resourceType: 'availability' as const,
            receipts: 1,
            rejected: 0,
            units: '600000',
            totalWei: rewardWei('availability', 600_000n, 80, 9000).totalWei,
          },
        ]
      : []),
  ];
  const totalWei = String(sums.reduce((s, x) => s + BigInt(x.totalWei), 0n));
  expectedWei += BigInt(totalWei);
  const first = seq + 1;
  seq += Math.min(4000, Number(tasks) + 1 + (availability ? 1 : 0));
  const epoch: Epoch = {
    deviceId: 'dev-a',
    owner,
    firstSeq: first,
    lastSeq: seq,
    root,
    openedAt: at - 59_000,
    closedAt: at,
    sums,
    totalWei,
    issuedAt: at + 100,
  };
  return encodeRecord({ kind: 'epoch', at, source, signed: { epoch, signature } } satisfies LedgerRecord);
}

const parts = new Set((process.env['SYNOR_BENCH_LEDGER'] ?? 'year,proof,week').split(',').map((p) => p.trim()));
const dir = await tempDir('synor-ledger-bench-');
interface Goal {
  name: string;
  value: number;
  goal: number;
  unit: string;
  base: number;
}
const goals: Goal[] = [];
const DAY = 86_400_000;

/** A year of epoch lines: the first start, restarts, queries and memory against every line read and kept. */
async function yearPart(): Promise<{ indexBytes: number; epochLineBytes: number }> {
  const file = join(dir, 'ledger.jsonl');
  const tasksPerQuarter = BigInt(TASKS_PER_SECOND * 900);
  const chunks: string[] = [];
  for (let at = END - YEAR; at < END; at += QUARTER) {
    // Two days of minutes at the end, as a busy device leaves them; a quarter hour of work per line before that.
    const fine = at >= END - 2 * DAY;
    for (let step = 0; step < (fine ? 15 : 1); step++)
      chunks.push(epochLine(fine ? tasksPerQuarter / 15n : tasksPerQuarter, at + step * 60_000, step % 10 === 0));
  }
  await writeFile(file, chunks.join(''));
  const lines = chunks.length;
  const bytes = chunks.reduce((n, c) => n + c.length, 0);
  const epochLineBytes = Buffer.byteLength(chunks.at(-1)!);
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
      if (decoded.ok) out.push(decoded.value);
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
  const restartMs = await median3(async () => (await Ledger.open(file)).verify(() => null, 1));
  const queries: number[] = [];
  // CPU time as well: a query runs on one thread, so on a quiet machine the two agree; on a busy one wall time also
  // counts the neighbours' turns.
  const cpu = process.cpuUsage();
  for (const q of [{ utcOffsetMinutes: 60 }, { fromMs: END - 3_600_000 }, { fromMs: END - 30 * DAY, utcOffsetMinutes: 345 }]) {
    queries.push(await median3(() => ledger.sums.summary(q)));
  }
  const sinceMs = await median3(() => ledger.sums.since(END - 30 * DAY));
  const used = process.cpuUsage(cpu);
  const queryCpuMs = (used.user + used.system) / 1000 / 12;
  const queryMs = Math.max(...queries, sinceMs);
  // After every start the sums read from the index are recounted from the lines in the background (issue 26).
  const [rebuilt, auditMs] = await time(() => ledger.auditIndex(2));
  if (rebuilt) throw new Error('the recount found the index wrong on a ledger nobody touched');
  // A line the ledger refused would make every figure below look better than it is.
  const { confirmedWei } = ledger.sums.networkTotal();
  if (ledger.report.problems.length > 0 || confirmedWei !== expectedWei) {
    throw new Error(`the ledger did not count the year it was given: ${ledger.report.problems[0]?.message ?? `${confirmedWei} wei`}`);
  }
  const yearTasks = (TASKS_PER_SECOND * YEAR) / 1000;
  const yearEpochs = YEAR / 60_000;
  const indexBytes = (await stat(`${file}.index`)).size;
  goals.push(
    { name: 'restart (index + lines since), median of 3', value: restartMs, goal: 500, unit: 'ms', base: oldOpenMs },
    { name: 'slowest earnings query, median of 3', value: queryMs, goal: 25, unit: 'ms', base: oldQueryMs },
    { name: 'memory held over an empty ledger', value: held / MB, goal: 20, unit: 'MB', base: oldHeld / MB },
  );
  console.log(
    `# a year at ${TASKS_PER_SECOND} tasks/s (${(yearTasks / 1e6).toFixed(0)} M tasks, ${(yearEpochs / 1e3).toFixed(0)} k epochs) in ${lines} lines, ${(bytes / MB).toFixed(0)} MB; ${confirmedWei} wei; first start (every line checked, index written): ${firstStartMs.toFixed(0)} ms`,
  );
  console.log(`# empty ledger heap ${(empty / MB).toFixed(1)} MB`);
  console.log(
    `# the first restart of this run: open ${openMs.toFixed(1)} ms + check ${verifyMs.toFixed(1)} ms; background recount of the index's sums and hash of its part from the lines (after a start, off its path): ${auditMs.toFixed(0)} ms`,
  );
  console.log(
    `# queries (median of 3): ${queries.map((ms) => ms.toFixed(1)).join(', ')} ms (all, the last hour, 30 days at UTC+5:45); since 30 days ${sinceMs.toFixed(1)} ms; CPU ${queryCpuMs.toFixed(1)} ms a query on average`,
  );
  return { indexBytes, epochLineBytes };
}

/** One real day of detail: an epoch a minute, 600 tasks each, then packed as a finished day is; a task proved from it. */
async function proofPart(): Promise<{ rawDay: number; packedDay: number; idsBytes: number }> {
  const detail = new ReceiptDetail(join(dir, 'detail'), () => 7);
  const dayStart = END - 2 * DAY;
  let target: Receipt | null = null;
  const [, detailWriteMs] = await time(async () => {
    for (let minute = 0; minute < 1440; minute++) {
      const at = dayStart + minute * 60_000;
      const receipts = Array.from({ length: 600 }, (_, i) => receipt('cpu', 2_000_000_000n, at - 600 + i, randomUUID()));
      receipts.push(receipt('bandwidth', 60_000_000n, at, ''));
      if (minute === 1000) target = receipts[300]!;
      await detail.append(at, source, { epoch: epochOf(receipts, at), signature, receipts });
    }
  });
  const dayFile = join(dir, 'detail', `${new Date(dayStart).toISOString().slice(0, 10)}.jsonl`);
  const rawDay = (await stat(dayFile)).size;
  const taskId = (target as Receipt | null)!.taskId;
  const found = (proof: Awaited<ReturnType<typeof proveReceipt>>): void => {
    if (proof?.receipt.taskId !== taskId) throw new Error('the bench could not find its own task');
  };
  // The day being written (unpacked): searched as bytes.
  const proveOpenMs = await median3(async () => found(await proveReceipt(detail, taskId)));
  const [, packMs] = await time(() => detail.tidy(END));
  const packedDay = (await stat(`${dayFile}.gz`)).size;
  const idsBytes = (await stat(`${dayFile}.gz.ids`)).size;
  const provePackedMs = await median3(async () => found(await proveReceipt(detail, taskId)));
  // The way before: every detail line of the window read back until the task's.
  const [, oldProveMs] = await time(async () => {
    for await (const line of detail.lines()) if (receiptsOf(line).some((r) => r.taskId === taskId)) return;
    throw new Error('the bench could not find its own task the old way');
  });
  goals.push({
    name: "a task's proof, slowest of the day being written and a packed day",
    value: Math.max(proveOpenMs, provePackedMs),
    goal: 200,
    unit: 'ms',
    base: oldProveMs,
  });
  console.log(
    `# a day of detail (864 k tasks) ${(rawDay / MB).toFixed(0)} MB written in ${(detailWriteMs / 1000).toFixed(1)} s, packed to ${(packedDay / MB).toFixed(0)} MB in ${(packMs / 1000).toFixed(1)} s`,
  );
  console.log(
    `# proof: a task found and its Merkle path built in ${proveOpenMs.toFixed(0)} ms from the day being written, ${provePackedMs.toFixed(0)} ms from a packed day (its id table ${(idsBytes / MB).toFixed(1)} MB); the way before (every line read back) ${oldProveMs.toFixed(0)} ms`,
  );
  return { rawDay, packedDay, idsBytes };
}

/**
 * A week of epochs signed for real, checked from scratch as at a first start (no index). Signed through libsecp256k1
 * over the fast digest to build it in seconds: the check the old way (ethers) proves the two agree.
 */
async function weekPart(): Promise<void> {
  const WEEK = 7 * 1440;
  const coordinator = Wallet.createRandom();
  const key = getBytes(coordinator.privateKey);
  const weekSource = { ...source, coordinator: coordinator.address, chainId: 31337 };
  const weekLines: string[] = [];
  const epochDigest = await epochDigester();
  for (let i = 0; i < WEEK; i++) {
    const at = END - WEEK * 60_000 + i * 60_000;
    const receipts = [receipt('cpu', 2_000_000_000n, at - 1, randomUUID())];
    const epoch = { ...epochOf(receipts, at), owner };
    const { signature: rs, recoveryId } = signRecoverable(epochDigest(epoch, 31337), key);
    const signed = { epoch, signature: `0x${Buffer.from(rs).toString('hex')}${(27 + recoveryId).toString(16)}` };
    weekLines.push(encodeRecord({ kind: 'epoch', at, source: weekSource, signed } satisfies LedgerRecord));
  }
  const trust = recordProblem({ deviceIds: ['dev-a'], coordinators: [{ coordinator: coordinator.address, chainId: 31337 }] });
  /** Wall time and the CPU time of every thread of the process (the worker's included): the second says less about the load. */
  const firstCheck = async (lines: string[], check: typeof trust, name: string): Promise<[number, number]> => {
    await writeFile(join(dir, name), lines.join(''));
    const week = await Ledger.open(join(dir, name));
    const cpu = process.cpuUsage();
    const [setAside, ms] = await time(() => week.verify(check, 1));
    const used = process.cpuUsage(cpu);
    if (setAside || week.sums.total().receipts !== lines.length) throw new Error(`the check of ${name} refused good lines`);
    return [ms, (used.user + used.system) / 1000];
  };
  const [weekCheckMs, weekCpuMs] = await firstCheck(weekLines, trust, 'week.jsonl');
  // The floor under the check: one recovery's CPU on this thread, as the check's workers each spend it on every line.
  const digest = epochDigest(epochOf([receipt('cpu', 1n, END, randomUUID())], END), 31337);
  const { signature: sig, recoveryId } = signRecoverable(digest, key);
  const cpu = process.cpuUsage();
  for (let i = 0; i < 500; i++) recover(digest, sig, recoveryId, false);
  const used = process.cpuUsage(cpu);
  const recoverUs = (used.user + used.system) / 500;
  // Without `many`, lines are checked one at a time by ethers' verifyTypedData: the check as it was.
  const TENTH = WEEK / 10;
  const [oldTenthMs, oldTenthCpuMs] = await firstCheck(weekLines.slice(0, TENTH), (r) => trust(r), 'week-tenth.jsonl');
  goals.push({ name: 'first full check of a week of epochs (10,080)', value: weekCheckMs, goal: 5000, unit: 'ms', base: oldTenthMs * 10 });
  console.log(
    `# first check of a week: ${weekCheckMs.toFixed(0)} ms (CPU of all threads ${weekCpuMs.toFixed(0)} ms); one line at a time with ethers ${oldTenthMs.toFixed(0)} ms for a tenth of the week (${TENTH} epochs; CPU ${oldTenthCpuMs.toFixed(0)} ms), so ~${((oldTenthMs * 10) / 1000).toFixed(1)} s (CPU ~${((oldTenthCpuMs * 10) / 1000).toFixed(1)} s) for the week`,
  );
  console.log(
    `# one signature recovered (libsecp256k1, WebAssembly) in ${recoverUs.toFixed(0)} µs of CPU: ${((recoverUs * WEEK) / 1e6).toFixed(1)} s of CPU for the week's, shared by the check's workers`,
  );
}

const year = parts.has('year') ? await yearPart() : null;
const day = parts.has('proof') ? await proofPart() : null;
if (parts.has('week')) await weekPart();
if (year && day) {
  // A year of epoch lines, the index, today's unpacked detail and the window's 7 packed days with their id tables.
  const yearEpochs = YEAR / 60_000;
  const diskBytes = yearEpochs * year.epochLineBytes + year.indexBytes + day.rawDay + 7 * (day.packedDay + day.idsBytes);
  console.log(
    `# disk: an epoch line ${year.epochLineBytes} bytes (${((yearEpochs * year.epochLineBytes) / MB).toFixed(0)} MB a year), index ${(year.indexBytes / MB).toFixed(1)} MB`,
  );
  // The previous design kept every task's signed receipts (two ~1.5 KB lines a task) for ever.
  const yearTasks = (TASKS_PER_SECOND * YEAR) / 1000;
  goals.push({
    name: 'disk for a year with 7 days of detail',
    value: diskBytes / 1024 ** 3,
    goal: 2,
    unit: 'GB',
    base: (yearTasks * 2 * 1500) / 1024 ** 3,
  });
}
console.log(
  `# load average while measuring: ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} on ${cpus().length} cores (figures are rough on a busy machine)`,
);
for (const g of goals) {
  console.log(
    `${g.name}: ${g.value.toFixed(g.unit === 'GB' ? 2 : 1)} ${g.unit} (goal ≤ ${g.goal}: ${g.value <= g.goal ? 'met' : 'NOT met'}) — before: ${g.base.toFixed(1)} ${g.unit}, ratio ${(g.value / g.base).toFixed(3)}`,
  );
}
