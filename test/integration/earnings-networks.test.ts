// Earnings per network and with a locked wallet (issue 27 items 5-6), on real parts: two separately started devnets
// (A and B), one whole agent driven over its HTTP API. It earns on A, is moved to B while A still owes it results,
// earns there: A's work is shown apart and never in B's figures or claimable; A's pending results are resolved when A
// returns. Then it restarts with its wallet locked and its history to check again from the start (every line several
// times over, no index): earnings, totals and what is left to claim are read without unlocking.
import assert from 'node:assert/strict';
import { appendFile, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { NetworkEarnings } from '../../main/common/network.js';
import type { AgentState } from '../../main/common/state.js';
import { tempDir } from '../helpers/fakes.js';
import { rpc } from '../helpers/headless.js';
import { recordsOf } from '../helpers/ledger.js';
import { kept, shareNow, startAgent, startDevnet, type TestAgent } from './support/agents.js';

const running: { stop(): Promise<void> }[] = [];
after(() => Promise.all(running.splice(0).map((r) => r.stop())));

const PASSPHRASE = 'correct horse battery staple';
const current = (s: AgentState): NetworkEarnings | undefined => s.work.networks?.find((n) => n.current);
const other = (s: AgentState): NetworkEarnings | undefined => s.work.networks?.find((n) => !n.current);
const onUrl = (url: string) => (s: AgentState) => s.work.network?.url === url;
/** The wei of the signed epochs of `coordinator` in the agent's ledger file. */
async function weiOn(home: string, coordinator: string): Promise<bigint> {
  const records = await recordsOf(join(home, 'data', 'ledger.jsonl'));
  return records
    .filter((r) => r.source.coordinator.toLowerCase() === coordinator.toLowerCase())
    .reduce((n, r) => n + BigInt(r.signed.epoch.totalWei), 0n);
}

/** A devnet whose data stays in `dir` (its key, so the same network, across restarts); `epochMs` as its flag. */
async function devnet(dir: string, epochMs: number) {
  const started = await startDevnet(dir, epochMs);
  running.push(started);
  return started;
}

test(
  'work of a network no longer in use is shown apart, never in the claimable of the one in use, and settles when it returns',
  { timeout: 900_000 },
  async () => {
    const [dirA, dirB, home] = await Promise.all([tempDir(), tempDir(), tempDir()]);
    // B seals an epoch at every fetch: its last results are receipted with the fetch after their submit, so B idle is
    // B settled, and no receipt of B's arrives while its figures are compared (at the sync timer, up to 30 s later).
    const [first, b, agent] = await Promise.all([devnet(dirA, 1000), devnet(dirB, 0), kept(running, startAgent(home))]);
    let a = first;
    await agent.ok('walletCreate', { passphrase: PASSPHRASE });

    // Earned and confirmed on A, at a quarter of the processor (some work is all this needs).
    await agent.ok('updateSettings', { ...shareNow(a.url), cpuSharePercent: 25 });
    const onA = await agent.until((s) => onUrl(a.url)(s) && BigInt(current(s)?.confirmedWei ?? '0') > 0n, 'receipts from A');
    const keyA = current(onA)!.key;

    // A again, now sealing no epoch for ten minutes: what it acknowledges stays pending.
    await agent.ok('setShare', { on: false });
    await a.stop();
    // Results A acknowledged before its stop may still wait for their epoch: two more are what the new A acknowledged.
    const before = current(await agent.until(() => true, 'the state with A stopped'))?.pendingTasks ?? 0;
    a = await devnet(dirA, 600_000);
    await agent.ok('updateSettings', shareNow(a.url));
    const waiting = await agent.until(
      (s) => onUrl(a.url)(s) && (current(s)?.pendingTasks ?? 0) >= before + 2,
      'results pending on A, acknowledged at its new address',
    );
    assert.equal(current(waiting)!.key, keyA, 'the same network at its new address');

    // Moved to B: A's confirmed and pending work is apart from B's.
    await agent.ok('updateSettings', shareNow(b.url));
    await agent.until(
      (s) => onUrl(b.url)(s) && current(s)?.key !== keyA && BigInt(current(s)?.unclaimedWei ?? '0') > 0n,
      'receipts from B, claimable on its chain',
    );
    await agent.ok('setShare', { on: false });
    const settled = await agent.until(
      (s) => !s.work.tasks.some((t) => t.state === 'running') && (s.work.network?.queued ?? 0) === 0 && current(s)?.pendingTasks === 0,
      'B idle',
    );
    const shownA = other(settled)!;
    const shownB = current(settled)!;
    console.log(
      `A (apart): ${shownA.confirmedWei} wei confirmed, ${shownA.pendingTasks} pending; B: ${shownB.confirmedWei} wei, ${shownB.unclaimedWei} claimable`,
    );
    assert.equal(shownA.key, keyA);
    assert.ok(BigInt(shownA.confirmedWei) > 0n && shownA.pendingTasks >= 2, "A's work kept, apart");
    // A network not in use gets no new receipts: its figure can be compared with the file (B's still grows).
    assert.equal(BigInt(shownA.confirmedWei), await weiOn(home, shownA.coordinator), "A's figure is A's signed epochs only");
    assert.equal(shownB.unclaimedWei, shownB.confirmedWei, "B's claimable is B's work, nothing of A's");
    assert.equal(settled.work.earned?.receipts, shownB.receipts, "the dashboard's total is B's");
    assert.equal(settled.work.earned?.pendingTasks, shownB.pendingTasks);
    const apiB = await agent.ok<{ total: { receipts: number }; byNetwork: { key: string }[] }>('getEarnings', { network: shownB.key });
    assert.equal(apiB.total.receipts, shownB.receipts);
    assert.deepEqual(
      apiB.byNetwork.map((n) => n.key),
      [shownB.key],
    );

    // A returns, sealing its epochs again: its pending results are settled by their receipts.
    await a.stop();
    a = await devnet(dirA, 1000);
    await agent.ok('updateSettings', { ...shareNow(a.url), sharing: false });
    const back = await agent.until((s) => current(s)?.key === keyA && current(s)?.pendingTasks === 0, "A's pending settled");
    assert.ok(BigInt(current(back)!.confirmedWei) > BigInt(shownA.confirmedWei), "A's receipts came and count");
    assert.ok(BigInt(other(back)!.confirmedWei) >= BigInt(shownB.confirmedWei), "B's work apart now");
    assert.equal(BigInt(other(back)!.confirmedWei), await weiOn(home, shownB.coordinator), "B's figure is B's signed epochs only");

    // Locked, with the whole history to check again (no index, and every line written twice): readable meanwhile.
    await agent.ok('updateSettings', { ...shareNow(b.url), sharing: false });
    await agent.until((s) => current(s)?.key === shownB.key, 'B in use again');
    await agent.stop();
    const earnedB = String(await weiOn(home, shownB.coordinator));
    const earnedA = String(await weiOn(home, shownA.coordinator));
    const ledger = join(home, 'data', 'ledger.jsonl');
    const lines = await readFile(ledger, 'utf8');
    // About 3,000 lines to check (a week of epochs is 10,080): long enough to be seen under way after the restart.
    const copies = Math.ceil(3_000 / lines.split('\n').length);
    await appendFile(ledger, lines.repeat(copies));
    await rm(`${ledger}.index`);
    const again: TestAgent = await startAgent(home);
    running.push(again);
    // The check's progress is shown in the state while it runs (test/unit/earnings-locked.test.ts sees it step by step);
    // here it may be over before this test connects. What matters here: no unlock is needed to read the figures.
    const during = (await rpc(again, 'getEarnings', {})) as { ok: boolean; error?: { message: string } };
    if (!during.ok) assert.match(during.error!.message, /being (checked|opened)/);
    const done = await again.until((s) => !s.work.ledgerCheck && current(s)?.unclaimedWei != null, 'the check done, claimable known');
    assert.equal(done.wallet.wallet.state, 'locked');
    assert.equal(current(done)!.confirmedWei, earnedB, 'the same figures, read while locked');
    assert.equal(current(done)!.unclaimedWei, earnedB, 'claimable while locked (nothing was claimed)');
    assert.equal(other(done)!.confirmedWei, earnedA, 'A apart');
    const summary = await again.ok<{ total: { receipts: number } }>('getEarnings', { network: shownB.key });
    assert.equal(summary.total.receipts, current(done)!.receipts);
    assert.ok((await again.ok<unknown[]>('getReceipts', { limit: 10 })).length > 0);
    assert.match((await again.ok<{ csv: string }>('exportEarningsCsv', {})).csv, /^time_utc,/);
    assert.match(done.work.blocker ?? '', /Unlock/, 'only earning (signing) waits for the unlock');
  },
);
