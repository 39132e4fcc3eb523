// `npm run soak`: every reliability case once at full size (bounded: ~1 minute, loopback only), then one table.
// `npm run soak -- fast` runs the subset that `npm test` runs (`-- full <words>`: only cases whose name has them).
// Exit code 1 when any case failed or crashed.
import { CASES, type Size } from './cases.js';

const size: Size = process.argv[2] === 'fast' ? 'fast' : 'full';
const only = process.argv[3];
const chosen = CASES.filter((c) => (size === 'full' || c.fast) && (!only || c.name.includes(only)));
let crashes = 0;
const onCrash = (error: unknown): void => {
  crashes++;
  console.error(`crash: ${(error as Error).stack ?? String(error)}`);
};
process.on('uncaughtException', onCrash);
process.on('unhandledRejection', onCrash);

interface Row {
  name: string;
  outcome: string;
  ok: boolean | 'skipped';
  crashed: number;
  lost: number;
  doubleCredits: number;
  leftovers: number;
  orphans: number;
  s: number;
}
const rows: Row[] = [];
const started = performance.now();
for (const c of chosen) {
  console.error(`… ${c.name}`);
  const before = crashes;
  const t = performance.now();
  try {
    const r = await c.run(size);
    rows.push({
      name: c.name,
      ...r,
      ok: r.skipped ? 'skipped' : r.ok,
      outcome: r.skipped ? `not run: ${r.skipped}` : r.outcome,
      crashed: crashes - before,
      s: (performance.now() - t) / 1000,
    });
  } catch (error) {
    crashes++;
    rows.push({
      name: c.name,
      outcome: `threw: ${(error as Error).message}`,
      ok: false,
      crashed: crashes - before,
      lost: 0,
      doubleCredits: 0,
      leftovers: 0,
      orphans: 0,
      s: (performance.now() - t) / 1000,
    });
  }
}

const sum = (k: 'lost' | 'doubleCredits' | 'leftovers' | 'orphans' | 'crashed'): number => rows.reduce((n, r) => n + r[k], 0);
console.log(`\n| case | outcome | ok | crashes | lost | double credits | orphans | leftovers | s |`);
console.log(`| --- | --- | --- | --- | --- | --- | --- | --- | --- |`);
for (const r of rows) {
  const ok = r.ok === 'skipped' ? 'skipped' : r.ok ? 'yes' : 'NO';
  console.log(
    `| ${r.name} | ${r.outcome} | ${ok} | ${r.crashed} | ${r.lost} | ${r.doubleCredits} | ${r.orphans} | ${r.leftovers} | ${r.s.toFixed(1)} |`,
  );
}
const failed = rows.filter((r) => r.ok === false).length;
const skipped = rows.filter((r) => r.ok === 'skipped').length;
console.log(
  `\ncases tried ${rows.length} (${failed} failed, ${skipped} skipped) in ${((performance.now() - started) / 1000).toFixed(1)} s; crashes ${crashes}, results lost ${sum('lost')}, double credits ${sum('doubleCredits')}, orphans ${sum('orphans')}, leftovers ${sum('leftovers')}`,
);
process.exit(failed > 0 || crashes > 0 ? 1 : 0);
