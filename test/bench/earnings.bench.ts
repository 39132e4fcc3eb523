// Realized vs estimated earnings: a whole agent (headless, embedded devnet, real job hosts and onnxruntime) shares at
// a fixed 50 % CPU share for a window (5 minutes; SYNOR_BENCH_EARNINGS_S to change), and the SYNOR it was paid for
// the window is compared with what its estimate said when the window opened (once its first tasks were measured; the
// benchmark-only estimate is printed beside it), with the gap itemized: time it was paused (and
// why), rejected results, time the network had no work for it. Also: time from "share on" to the first receipt, and
// the share of earnings by resource type. Goal: realized / estimated within 0.9–1.1.
import { performance } from 'node:perf_hooks';
import type { EarningsSummary, Estimates } from '../../main/common/network.js';
import type { AgentState } from '../../main/common/state.js';
import { toWei } from '../../renderer/src/lib/format.js';
import { tempDir } from '../helpers/fakes.js';
import { shareNow, startAgent } from '../integration/support/agents.js';

const WINDOW_S = Number(process.env['SYNOR_BENCH_EARNINGS_S'] ?? 300);
const SHARE = 50;
const GOAL = { low: 0.9, high: 1.1 };

const agent = await startAgent(await tempDir());
try {
  await agent.ok('walletCreate', { passphrase: 'earnings bench passphrase' });
  await agent.ok('updateSettings', { ...shareNow(null), sharing: false, cpuSharePercent: SHARE });
  const sharedAt = performance.now();
  await agent.ok('setShare', { on: true });
  await agent.until((s) => (s.work.earned?.receipts ?? 0) > 0, 'a first receipt');
  const firstReceiptS = (performance.now() - sharedAt) / 1000;

  // The estimate from the hardware benchmark alone (before any task is measured), for comparison.
  const fromBenchmark = await agent.ok<Estimates>('getEstimates', { days: 1 });
  // The window opens once the estimate rests on this device's own tasks, as the Earnings page shows it seconds in:
  // twenty tasks (about 5 s here), by when the devnet has sized its tasks to this device's pace.
  await agent.until((s) => (s.work.earned?.receipts ?? 0) >= 40, 'twenty tasks measured');
  const before = await agent.ok<Estimates>('getEstimates', { days: 1 });
  const windowStart = Date.now();
  const from = await agent.ok<EarningsSummary>('getEarnings', {});

  // Time, by what the agent said it was doing, sampled on every state event.
  const spent = new Map<string, number>();
  let last = { at: performance.now(), key: 'working' };
  const tally = (s: AgentState): boolean => {
    const now = performance.now();
    spent.set(last.key, (spent.get(last.key) ?? 0) + (now - last.at));
    const noWork = s.work.network?.code === 'no-work';
    last = {
      at: now,
      key: noWork ? 'no work from the network' : s.status.code === 'paused' ? `paused: ${s.status.reason}` : s.status.code,
    };
    return false;
  };
  // Never matches: it only sees every state the agent sends while the window runs.
  void agent.until(tally, 'the end of the window').catch(() => undefined);
  const ends = performance.now() + WINDOW_S * 1000;
  // The window itself is what is measured: it is a bench's wait, not a test waiting for an event.
  while (performance.now() < ends) await new Promise((resolve) => setTimeout(resolve, Math.min(5_000, ends - performance.now())));
  tally((await agent.ok<AgentState>('getState')) as AgentState);
  const windowEnd = Date.now();
  const hours = (windowEnd - windowStart) / 3_600_000;

  await agent.ok('setShare', { on: false });
  await agent.until((s) => (s.work.network?.queued ?? 0) === 0 && (s.work.earned?.pendingTasks ?? 0) === 0, 'every receipt in');
  const to = await agent.ok<EarningsSummary>('getEarnings', {});
  const after = await agent.ok<Estimates>('getEstimates', { days: 1 });

  // Paid for the work in the window: the receipts issued in it, each with its own time. (A difference of totals would
  // count the work before the window whose epoch was not sealed yet when it opened: up to a minute of it.)
  const { csv } = await agent.ok<{ csv: string }>('exportEarningsCsv', {});
  let realizedWei = 0n;
  for (const row of csv.trimEnd().split('\r\n').slice(1)) {
    const cells = row.split(',');
    const at = Date.parse(cells[0]!);
    if (['verified', 'unverified', 'rejected'].includes(cells[1]!) && at >= windowStart && at < windowEnd) realizedWei += toWei(cells[15]!);
  }
  const realizedPerHour = Number(realizedWei) / 1e18 / hours;
  const estimatedPerHour = Number(before.synor.perHour);
  const ratio = realizedPerHour / estimatedPerHour;

  console.log(
    `window: ${(hours * 60).toFixed(1)} min at a ${SHARE} % CPU share; first receipt ${firstReceiptS.toFixed(1)} s after "share on"`,
  );
  const benchmarkPerHour = Number(fromBenchmark.synor.perHour);
  console.log(`estimated at the window's start: ${estimatedPerHour.toPrecision(4)} SYNOR/h (${before.synor.assumptions.join('; ')})`);
  console.log(
    `  (from the benchmark alone, before any task: ${benchmarkPerHour.toPrecision(4)} SYNOR/h, realized / that ${(realizedPerHour / benchmarkPerHour).toFixed(3)}; ${fromBenchmark.synor.assumptions[0]})`,
  );
  console.log(`realized:         ${realizedPerHour.toPrecision(4)} SYNOR/h`);
  console.log(
    `realized / estimated: ${ratio.toFixed(3)}  (goal ${GOAL.low}–${GOAL.high}: ${ratio >= GOAL.low && ratio <= GOAL.high ? 'met' : 'NOT met'})`,
  );
  console.log(
    `estimate after the window: ${Number(after.synor.perHour).toPrecision(4)} SYNOR/h (${after.synor.assumptions[0]}); realized / that ${(realizedPerHour / Number(after.synor.perHour)).toFixed(3)}`,
  );
  const total = [...spent.values()].reduce((a, b) => a + b, 0);
  console.log('time in the window, by what the agent said:');
  for (const [key, ms] of [...spent].sort((a, b) => b[1] - a[1])) console.log(`  ${((ms / total) * 100).toFixed(1).padStart(5)} %  ${key}`);
  console.log(`rejected results: ${to.rejected - from.rejected}`);
  const byResource = to.byResource.map((b) => [b.key, toWei(b.confirmed)] as const);
  const all = byResource.reduce((sum, [, w]) => sum + w, 0n);
  console.log(
    `earnings by resource (whole run): ${byResource.map(([k, w]) => `${k} ${((Number(w) / Number(all)) * 100).toFixed(1)} %`).join(', ')}`,
  );
  if (!(ratio >= GOAL.low && ratio <= GOAL.high)) process.exitCode = 1;
} finally {
  await agent.stop();
}
