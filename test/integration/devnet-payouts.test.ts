// Payouts on real parts end to end: `npm run devnet` (coordinator + anvil) as its own process, whole agents in theirs
// (real hardware probe, job hosts, onnxruntime), each earning and claiming its own receipts, to the wei; and the
// embedded devnet's chain, balances and claim history surviving an agent restart. The two run at once: the second
// waits a whole one-minute epoch of the embedded devnet (earnings left after a claim), the first does its work
// meanwhile; every agent shares a quarter of the processor, so three of them leave room for the file beside.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Contract, JsonRpcProvider } from 'ethers';
import type { AgentState } from '../../main/common/state.js';
import type { ClaimRecord, WalletView } from '../../main/common/wallet.js';
import { PAYOUT_ABI, TOKEN_ABI } from '../../main/common/payout-abi.js';
import { readPaid } from '../../main/core/wallet/chain.js';
import { tempDir } from '../helpers/fakes.js';
import { claimAll, ledgerWei, pinnedPayout, settled, shareNow, startAgent, startDevnet, type TestAgent } from './support/agents.js';

const running: { stop(): Promise<void> }[] = [];
after(() => Promise.all(running.splice(0).map((r) => r.stop())));

const PASSPHRASE = 'correct horse battery staple';
const claimable = (s: AgentState): bigint => BigInt(s.wallet.claimable);
const earnedSomething = (s: AgentState): boolean => s.wallet.chain.status === 'ok' && claimable(s) > 0n;
async function newAgent(coordinatorUrl: string | null): Promise<TestAgent & { address: string }> {
  const agent = await startAgent(await tempDir());
  running.push(agent);
  const view = await agent.ok<WalletView>('walletCreate', { passphrase: PASSPHRASE });
  assert.ok(view.wallet.state === 'ready');
  await agent.ok('updateSettings', { ...shareNow(coordinatorUrl), cpuSharePercent: 25 });
  return Object.assign(agent, { address: view.wallet.address });
}

/** Stops sharing and claims until nothing is left (a last result may still be receipted meanwhile); the claims, oldest first. */
async function stopAndClaim(agent: TestAgent): Promise<ClaimRecord[]> {
  await agent.ok('setShare', { on: false });
  await agent.until(settled, 'all results submitted');
  return claimAll(agent);
}

describe('payouts', { concurrency: 2, timeout: 600_000 }, () => {
  test('two agents on a separately started devnet each earn and claim their own, to the wei', { timeout: 600_000 }, async () => {
    const devnet = await startDevnet(await tempDir());
    running.push(devnet);
    const agents = await Promise.all([newAgent(devnet.url), newAgent(devnet.url)]);
    // The chain was not set in Settings: each agent took it from the coordinator's info and pinned it.
    await Promise.all(agents.map((a) => a.until(earnedSomething, 'earnings on the devnet')));
    const records = await Promise.all(agents.map(stopAndClaim));

    const provider = new JsonRpcProvider(devnet.rpcUrl);
    try {
      for (const [i, agent] of agents.entries()) {
        const view = await agent.ok<WalletView>('getWallet');
        const earnings = await agent.ok<{ total: { confirmedWei: string } }>('getEarnings', {});
        assert.equal((await agent.ok<{ chain: unknown }>('getSettings')).chain, null, 'no chain was typed into Settings');
        const payoutAddress = await pinnedPayout(agent, devnet.url);
        const token = new Contract(await new Contract(payoutAddress, PAYOUT_ABI, provider).getFunction('token')(), TOKEN_ABI, provider);
        const totals = {
          ledger: await ledgerWei(agent.home),
          api: BigInt(earnings.total.confirmedWei),
          chain: (await token.getFunction('balanceOf')(agent.address)) as bigint,
        };
        console.log(`agent ${i + 1} (${agent.address}): ledger ${totals.ledger} wei, API ${totals.api} wei, chain ${totals.chain} wei`);
        assert.ok(totals.ledger > 0n);
        assert.equal(totals.api, totals.ledger);
        assert.equal(totals.chain, totals.ledger);
        assert.equal(view.balances?.synor, totals.chain.toString());
        // Each claim names this agent's device only, one range after the other from receipt 1, and the contract paid
        // exactly that device's receipts.
        const ranges = records[i]!.flatMap((r) => r.ranges);
        const deviceId = ranges[0]!.deviceId;
        assert.ok(
          ranges.every((r, k) => r.deviceId === deviceId && r.firstSeq === (k === 0 ? 1 : ranges[k - 1]!.lastSeq + 1)),
          JSON.stringify(ranges),
        );
        const paid = await readPaid(new Contract(payoutAddress, PAYOUT_ABI, provider), agent.address, deviceId);
        assert.deepEqual(paid, { lastSeq: ranges.at(-1)!.lastSeq, total: totals.chain });
        assert.deepEqual(view.claims.map((c) => c.txHash).sort(), records[i]!.map((r) => r.txHash).sort());
      }
      assert.notEqual(records[0]![0]!.ranges[0]!.deviceId, records[1]![0]!.ranges[0]!.deviceId);
    } finally {
      provider.destroy();
    }
  });

  test(
    'the embedded devnet keeps chain, balance and claim history across an agent restart; older earnings stay claimable',
    { timeout: 600_000 },
    async () => {
      const first = await newAgent(null);
      await first.until(earnedSomething, 'earnings on the embedded devnet');
      const claimed = await first.ok<ClaimRecord>('walletClaim');
      assert.equal(claimed.status, 'confirmed');
      // More work after the claim: earnings left unclaimed when the agent stops.
      // (A confirmed claim shows only after the wallet re-read the chain, so the claimable amount is fresh by then.)
      await first.until((s) => s.wallet.claims[0]?.status === 'confirmed' && earnedSomething(s), 'new earnings after the claim');
      await first.ok('setShare', { on: false });
      const before = await first.until(settled, 'all results submitted');
      await first.stop();
      running.splice(running.indexOf(first), 1);
      const paidBefore = BigInt(before.wallet.balances?.synor ?? '0');
      const unclaimed = (await ledgerWei(first.home)) - paidBefore;
      assert.ok(unclaimed > 0n, 'earnings were left unclaimed');

      const again = await startAgent(first.home);
      running.push(again);
      await again.ok('walletUnlock', { passphrase: PASSPHRASE }).catch(() => undefined); // a keychain-less machine asks again
      const after = await again.until(
        (s) => s.wallet.chain.status === 'ok' && s.wallet.balances !== undefined && claimable(s) > 0n,
        'the wallet on the chain again',
      );
      assert.equal(after.wallet.balances?.synor, before.wallet.balances?.synor, 'the claimed balance is still there');
      assert.deepEqual(
        after.wallet.claims.map((c) => [c.txHash, c.amount, c.ranges]),
        before.wallet.claims.map((c) => [c.txHash, c.amount, c.ranges]),
      );
      assert.equal(claimable(after), unclaimed, 'what was earned before the restart can still be claimed, to the wei');
      assert.ok(BigInt(after.wallet.balances?.native ?? '0') > 0n, 'fee coins are there without asking');
      const late = await again.ok<ClaimRecord>('walletClaim');
      assert.equal(late.status, 'confirmed');
      assert.equal(late.ranges[0]?.firstSeq, (claimed.ranges[0]?.lastSeq ?? 0) + 1, 'the late claim starts right after the first');
      const view = await again.ok<WalletView>('getWallet');
      assert.equal(BigInt(view.balances?.synor ?? '0'), paidBefore + unclaimed);
      assert.equal(BigInt(view.balances?.synor ?? '0'), await ledgerWei(again.home), 'everything earned is paid, to the wei');
    },
  );
});
