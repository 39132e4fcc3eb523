// Payouts on real parts end to end: `npm run devnet` (coordinator + anvil) as its own process, whole agents in theirs
// (real hardware probe, job hosts, onnxruntime), each earning and claiming its own receipts, to the wei; and the
// embedded devnet's chain, balances and claim history surviving an agent restart.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, test } from 'node:test';
import { Contract, JsonRpcProvider, parseUnits } from 'ethers';
import type { AgentState } from '../../main/common/state.js';
import type { ClaimRecord, WalletView } from '../../main/common/wallet.js';
import { PAYOUT_ABI, TOKEN_ABI } from '../../main/common/payout-abi.js';
import { readPaid } from '../../main/core/wallet/chain.js';
import { tempDir } from '../helpers/fakes.js';
import { ledgerWei, shareNow, startAgent, startDevnet, type TestAgent } from './support/agents.js';

const running: { stop(): Promise<void> }[] = [];
after(() => Promise.all(running.splice(0).map((r) => r.stop())));

const PASSPHRASE = 'correct horse battery staple';
const claimable = (s: AgentState): bigint => BigInt(s.wallet.claimable);
const earnedSomething = (s: AgentState): boolean => s.wallet.chain.status === 'ok' && claimable(s) > 0n;
/** Nothing left in flight: every finished result has its receipt, and no task runs. */
const settled = (s: AgentState): boolean =>
  !s.sharing && s.work.tasks.length === 0 && (s.work.network?.queued ?? 0) === 0 && (s.work.earned?.pendingTasks ?? 0) === 0;

async function newAgent(coordinatorUrl: string | null): Promise<TestAgent & { address: string }> {
  const agent = await startAgent(await tempDir());
  running.push(agent);
  const view = await agent.ok<WalletView>('walletCreate', { passphrase: PASSPHRASE });
  assert.ok(view.wallet.state === 'ready');
  await agent.ok('updateSettings', shareNow(coordinatorUrl));
  return Object.assign(agent, { address: view.wallet.address });
}

/** Stops sharing, waits for every receipt, and claims what is left; the claim's record. */
async function stopAndClaim(agent: TestAgent): Promise<ClaimRecord> {
  await agent.ok('setShare', { on: false });
  await agent.until(settled, 'all receipts in');
  const state = await agent.until(earnedSomething, 'a claimable voucher');
  const record = await agent.ok<ClaimRecord>('walletClaim');
  assert.equal(record.status, 'confirmed', JSON.stringify(record));
  assert.equal(record.amount, state.wallet.claimable);
  return record;
}

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
      const earnings = await agent.ok<{ total: { confirmed: string } }>('getEarnings', {});
      assert.equal((await agent.ok<{ chain: unknown }>('getSettings')).chain, null, 'no chain was typed into Settings');
      const payoutAddress = await pinnedPayout(agent, devnet.url);
      const token = new Contract(await new Contract(payoutAddress, PAYOUT_ABI, provider).getFunction('token')(), TOKEN_ABI, provider);
      const totals = {
        ledger: await ledgerWei(agent.home),
        api: parseUnits(earnings.total.confirmed, 18),
        chain: (await token.getFunction('balanceOf')(agent.address)) as bigint,
      };
      console.log(`agent ${i + 1} (${agent.address}): ledger ${totals.ledger} wei, API ${totals.api} wei, chain ${totals.chain} wei`);
      assert.ok(totals.ledger > 0n);
      assert.equal(totals.api, totals.ledger);
      assert.equal(totals.chain, totals.ledger);
      assert.equal(view.balances?.synor, totals.chain.toString());
      // The claim names this agent's device only, and the contract paid exactly that device's receipts.
      const [range] = records[i]!.ranges;
      assert.equal(records[i]!.ranges.length, 1);
      assert.equal(range!.firstSeq, 1);
      const paid = await readPaid(new Contract(payoutAddress, PAYOUT_ABI, provider), agent.address, range!.deviceId);
      assert.deepEqual(paid, { lastSeq: range!.lastSeq, total: totals.chain });
      assert.deepEqual(view.claims.map((c) => c.txHash), [records[i]!.txHash]);
    }
    assert.notEqual(records[0]!.ranges[0]!.deviceId, records[1]!.ranges[0]!.deviceId);
  } finally {
    provider.destroy();
  }
});

/** The payout contract the agent pinned for this coordinator (network/payout-chains.json). */
async function pinnedPayout(agent: TestAgent, url: string): Promise<string> {
  const pins = JSON.parse(await readFile(`${agent.home}/data/network/payout-chains.json`, 'utf8')) as Record<string, { payoutAddress: string }>;
  const pin = pins[url];
  assert.ok(pin, `no payout chain pinned for ${url}: ${JSON.stringify(pins)}`);
  return pin.payoutAddress;
}

test('the embedded devnet keeps chain, balance and claim history across an agent restart; older earnings stay claimable', { timeout: 600_000 }, async () => {
  const first = await newAgent(null);
  await first.until(earnedSomething, 'earnings on the embedded devnet');
  const claimed = await first.ok<ClaimRecord>('walletClaim');
  assert.equal(claimed.status, 'confirmed');
  // More work after the claim: earnings left unclaimed when the agent stops.
  await first.until((s) => earnedSomething(s) && s.wallet.claims.length === 1, 'new earnings after the claim');
  await first.ok('setShare', { on: false });
  const before = await first.until((s) => settled(s) && earnedSomething(s), 'all receipts in');
  await first.stop();
  running.splice(running.indexOf(first), 1);

  const again = await startAgent(first.home);
  running.push(again);
  await again.ok('walletUnlock', { passphrase: PASSPHRASE }).catch(() => undefined); // a keychain-less machine asks again
  const after = await again.until((s) => s.wallet.chain.status === 'ok' && s.wallet.balances !== undefined && claimable(s) > 0n, 'the wallet on the chain again');
  assert.equal(after.wallet.balances?.synor, before.wallet.balances?.synor, 'the claimed balance is still there');
  assert.deepEqual(after.wallet.claims.map((c) => [c.txHash, c.amount, c.ranges]), before.wallet.claims.map((c) => [c.txHash, c.amount, c.ranges]));
  assert.equal(after.wallet.claimable, before.wallet.claimable, 'what was earned before the restart can still be claimed');
  assert.ok(BigInt(after.wallet.balances?.native ?? '0') > 0n, 'fee coins are there without asking');
  const late = await again.ok<ClaimRecord>('walletClaim');
  assert.equal(late.status, 'confirmed');
  assert.equal(late.ranges[0]?.firstSeq, (claimed.ranges[0]?.lastSeq ?? 0) + 1, 'the late claim starts right after the first');
  const view = await again.ok<WalletView>('getWallet');
  assert.equal(BigInt(view.balances?.synor ?? '0'), BigInt(before.wallet.balances?.synor ?? '0') + BigInt(before.wallet.claimable));
  assert.equal(BigInt(view.balances?.synor ?? '0'), await ledgerWei(again.home), 'everything earned is paid, to the wei');
});
