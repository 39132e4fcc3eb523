// The Earnings chart adds up to the totals beside it across restarts (issue 28 item 2), on real parts: a whole agent
// earning on a separately started devnet, asked over its HTTP API as the page asks. For every range the page offers,
// the bars of one getEarnings answer are summed and compared with that answer's total to the wei, confirmed and
// pending apart; after a stop and start, and after a kill (no index written for the newest epochs), again, and the
// totals are what the signed ledger holds. The Day chart used to be drawn from the newest receipts instead (at most
// 500 per answer, and after a kill without those of the epochs read back after the index): the sum of that list is
// printed beside, as the figure before.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, test } from 'node:test';
import { EarningsSummarySchema, type EarningsSummary } from '../../main/common/network.js';
import type { AgentState } from '../../main/common/state.js';
import { tempDir } from '../helpers/fakes.js';
import { freshDevnet, kept, ledgerWei, shareNow, startAgent, type TestAgent } from './support/agents.js';

const running: { stop(): Promise<void> }[] = [];
after(() => Promise.all(running.splice(0).map((r) => r.stop())));

const HOUR = 3_600_000;
const PASSPHRASE = 'correct horse battery staple';
const current = (s: AgentState) => s.work.networks?.find((n) => n.current);
/** No work in hand or waiting to be sent or confirmed: the ledger stays as it is while it is compared. */
const idle = (s: AgentState): boolean => s.work.tasks.length === 0 && (s.work.network?.queued ?? 0) === 0 && current(s)?.pendingTasks === 0;

/** The page's ranges at `now` (renderer/src/views/Earnings.svelte: startOf), for the network in use. */
function ranges(now: number, network: string): Record<string, object> {
  const d = new Date(now);
  const midnight = (back: number) => new Date(d.getFullYear(), d.getMonth(), d.getDate() - back).getTime();
  return {
    day: { fromMs: new Date(d.getFullYear(), d.getMonth(), d.getDate(), d.getHours() - 23).getTime(), toMs: now, network },
    week: { fromMs: midnight(6), toMs: now, network },
    month: { fromMs: midnight(29), toMs: now, network },
    all: { toMs: now, network },
  };
}

/** Each range's bars summed beside its total, in wei; and the old Day chart's sum (the newest receipts of 24 hours). */
async function compare(agent: TestAgent, when: string): Promise<EarningsSummary> {
  const state = await agent.until((s) => !s.work.ledgerCheck && current(s) !== undefined, 'the history checked');
  const network = current(state)!.key;
  const now = Date.now();
  let all: EarningsSummary | null = null;
  for (const [name, query] of Object.entries(ranges(now, network))) {
    const s = EarningsSummarySchema.parse(await agent.ok('getEarnings', query));
    const bars = s.series.bars;
    const confirmed = bars.reduce((n, b) => n + BigInt(b.confirmedWei), 0n);
    const pending = bars.reduce((n, b) => n + BigInt(b.pendingWei), 0n);
    console.log(
      `${when}, ${name}: ${bars.length} bars of ${s.series.step}, ${confirmed} + ${pending} wei; total ${s.total.confirmedWei} + ${s.total.pendingWei} wei`,
    );
    assert.ok(bars.length > 1, `${when}, ${name}: more than one bar`);
    assert.equal(confirmed, BigInt(s.total.confirmedWei), `${when}, ${name}: confirmed bars = confirmed total`);
    assert.equal(pending, BigInt(s.total.pendingWei), `${when}, ${name}: pending bars = pending total`);
    assert.equal(
      bars.reduce((n, b) => n + b.receipts, 0),
      s.total.receipts,
      `${when}, ${name}: receipts`,
    );
    if (name === 'all') all = s;
  }
  const receipts = await agent.ok<{ issuedAt: number; status: string; totalWei: string }[]>('getReceipts', { limit: 500 });
  const oldDay = receipts
    .filter((r) => r.issuedAt >= now - 24 * HOUR && r.status !== 'rejected')
    .reduce((n, r) => n + BigInt(r.totalWei), 0n);
  console.log(`${when}: the old Day chart (newest receipts) summed ${oldDay} wei of ${all!.total.confirmedWei} confirmed`);
  return all!;
}

test('the chart adds up to the totals on every range, before and after a restart and a kill', { timeout: 900_000 }, async () => {
  const home = await tempDir();
  // Epochs sealed at every fetch: the last results' receipts come with the fetch after their submit, not at the sync
  // timer's next round half a minute later, so "the last results confirmed" is seen at once.
  const [devnet, first] = await Promise.all([kept(running, freshDevnet(0)), kept(running, startAgent(home))]);
  let agent = first;
  await agent.ok('walletCreate', { passphrase: PASSPHRASE });
  // A quarter of the processor: a few dozen small tasks are all this needs, and the file beside keeps a core.
  await agent.ok('updateSettings', { ...shareNow(devnet.url), cpuSharePercent: 25 });
  const earned = (n: number) => (s: AgentState) => (current(s)?.receipts ?? 0) >= n;
  await agent.until(earned(1), 'a first receipt');
  // Once the clock is in the next minute, the All chart has a bar of a minute beside the first one's.
  const minute = (ms: number) => Math.floor(ms / 60_000);
  const firstMinute = minute(Date.now());
  await agent.until((s) => earned(12)(s) && minute(Date.now()) > firstMinute, 'a dozen receipts, into the next minute');
  await compare(agent, 'while earning');

  // A stop and start: the index is written at the stop.
  await agent.ok('setShare', { on: false });
  await agent.until(idle, 'the last results confirmed');
  await agent.stop();
  agent = await startAgent(home);
  running.push(agent);
  const restarted = await compare(agent, 'after a restart');
  assert.equal(BigInt(restarted.total.confirmedWei), await ledgerWei(home), 'the total is the signed ledger');

  // More work, then a kill: the newest epochs are read back from the ledger's lines, after its index.
  await agent.ok('walletUnlock', { passphrase: PASSPHRASE }).catch(() => undefined); // where there is no keychain
  await agent.ok('setShare', { on: true });
  await agent.until(earned(restarted.total.receipts + 6), 'more receipts');
  agent.child.kill('SIGKILL');
  await once(agent.child, 'exit');
  agent = await startAgent(home);
  running.push(agent);
  await agent.ok('setShare', { on: false });
  await agent.until(idle, 'the last results confirmed');
  const killed = await compare(agent, 'after a kill');
  assert.equal(BigInt(killed.total.confirmedWei), await ledgerWei(home), 'the total is the signed ledger, nothing lost');
  assert.ok(killed.total.receipts > restarted.total.receipts);
});
