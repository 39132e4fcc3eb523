// Automatic claims on real parts (issue 28 item 7): a whole agent in its own process earning on the devnet (`npm run
// devnet`, one-second epochs, its own anvil). Switched off (the default), nothing is claimed however much waits; on,
// with a threshold below what it earned but fees above what the wallet holds, it waits and says so once; once fees
// fall it claims by itself, once within the hour, says so in the activity log, and the chain holds exactly what the ledger's
// receipts of that claim add up to.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Contract, JsonRpcProvider, toQuantity } from 'ethers';
import { formatAmount } from '../../main/common/money.js';
import { PAYOUT_ABI, TOKEN_ABI } from '../../main/common/payout-abi.js';
import { DEFAULT_SETTINGS } from '../../main/common/settings.js';
import type { ActivityEntry, AgentState } from '../../main/common/state.js';
import type { ClaimRecord, WalletView } from '../../main/common/wallet.js';
import { receiptsIn } from '../helpers/ledger.js';
import { freshAgent, freshDevnet, kept, shareNow, type TestAgent } from './support/agents.js';

const running: { stop(): Promise<void> }[] = [];
after(() => Promise.all(running.splice(0).map((r) => r.stop())));

const claimable = (s: AgentState): bigint => BigInt(s.wallet.claimable);
const AUTOMATIC = /automatic/i;

/** Waits for what is claimable to reach `atLeast` and then to grow at `refreshes` more wallet refreshes (epochs). */
async function grows(agent: TestAgent, atLeast: bigint, refreshes: number): Promise<AgentState> {
  let state = await agent.until((s) => s.wallet.chain.status === 'ok' && claimable(s) >= atLeast && claimable(s) > 0n, 'earnings');
  for (let i = 0; i < refreshes; i++) {
    const before = claimable(state);
    state = await agent.until((s) => claimable(s) > before, 'more earnings');
  }
  return state;
}

test(
  'automatic claims: off, nothing is claimed; on, the agent claims by itself once an hour and the chain holds the ledger, to the wei',
  { timeout: 600_000 },
  async () => {
    const [devnet, agent] = await Promise.all([kept(running, freshDevnet()), kept(running, freshAgent())]);
    const provider = new JsonRpcProvider(devnet.rpcUrl);
    running.push({ stop: async () => provider.destroy() });
    const created = await agent.ok<WalletView>('walletCreate', { passphrase: 'correct horse battery staple' });
    assert.ok(created.wallet.state === 'ready');
    const address = created.wallet.address;
    assert.equal(DEFAULT_SETTINGS.autoClaim.enabled, false, 'off by default');
    // Off, with a threshold of 1 wei: claimable passes it and grows at two more refreshes, and nothing is claimed.
    // A quarter of the processor: small tasks, an epoch each, are all this needs, and the file beside keeps a core.
    await agent.ok('updateSettings', { ...shareNow(devnet.url), cpuSharePercent: 25, autoClaim: { enabled: false, thresholdWei: '1' } });
    const off = await grows(agent, 1n, 2);
    assert.deepEqual(off.wallet.claims, []);
    assert.equal(off.wallet.balances?.synor, '0');

    // On, with a threshold below what it has earned, but fees the wallet cannot pay: the devnet's anvil asks a base fee
    // of 0.001 coin a unit of gas (a claim's ~100,000 gas then costs far more than the 1 coin the wallet holds; the
    // balance itself is left alone, as the devnet tops up a wallet under 0.1 coin). The claim waits, said once over two
    // more refreshes past the threshold.
    const threshold = claimable(off) / 2n;
    await setBaseFee(provider, 10n ** 15n);
    await agent.ok('updateSettings', { autoClaim: { enabled: true, thresholdWei: threshold.toString() } });
    const broke = await grows(agent, threshold, 2);
    assert.deepEqual(broke.wallet.claims, []);
    const waits = (await agent.ok<ActivityEntry[]>('getActivity')).filter((e) => /cannot pay the fee/.test(e.message));
    assert.equal(waits.length, 1, JSON.stringify(waits));
    assert.match(
      waits[0]!.message,
      /^[\d.]+ SYNOR is ready to claim, but your wallet cannot pay the fee \(about [\d.]+ of this chain's own coin\)/,
    );

    // Fees fall back to 1 gwei: the next refresh claims, without a walletClaim command (a fee it could not pay does not
    // start the hour's wait).
    await setBaseFee(provider, 10n ** 9n);
    const claimed = await agent.until((s) => s.wallet.claims.some((c) => c.status === 'confirmed'), 'an automatic claim');
    const record: ClaimRecord = claimed.wallet.claims.find((c) => c.status === 'confirmed')!;
    assert.ok(BigInt(record.amount) >= threshold);
    const activity = await agent.ok<ActivityEntry[]>('getActivity');
    // Besides the settings changes, one sentence: the claim, its amount in the one money format and its transaction.
    const said = activity.filter((e) => e.kind !== 'settings' && AUTOMATIC.test(e.message) && !/cannot pay the fee/.test(e.message));
    assert.deepEqual(
      said.map((e) => e.message),
      [`Claimed ${formatAmount(BigInt(record.amount))} SYNOR to your wallet automatically. Transaction ${record.txHash}.`],
    );

    // Past the threshold again at two more refreshes within the hour: no second claim.
    const later = await grows(agent, threshold, 2);
    assert.deepEqual(
      later.wallet.claims.map((c) => c.txHash),
      [record.txHash],
    );

    // The chain, read directly, holds what the ledger's receipts of that claim add up to.
    await agent.ok('setShare', { on: false });
    const receipts = await receiptsIn(join(agent.home, 'data', 'ledger.jsonl'));
    const paidInLedger = record.ranges.reduce(
      (sum, range) =>
        sum +
        receipts
          .filter((r) => r.deviceId === range.deviceId && r.seq >= range.firstSeq && r.seq <= range.lastSeq)
          .reduce((s, r) => s + BigInt(r.totalWei), 0n),
      0n,
    );
    const payout = new Contract(await payoutOf(agent), PAYOUT_ABI, provider);
    const token = new Contract((await payout.getFunction('token')()) as string, TOKEN_ABI, provider);
    const onChain = (await token.getFunction('balanceOf')(address)) as bigint;
    console.log(`automatic claim ${record.txHash}: ${record.amount} wei; ledger receipts ${paidInLedger} wei; chain ${onChain} wei`);
    assert.ok(paidInLedger > 0n);
    assert.equal(onChain, paidInLedger);
    assert.equal(BigInt(record.amount), paidInLedger);
  },
);

/** The base fee of the chain's newest block (what fee estimates start from), in wei per unit of gas. */
async function setBaseFee(provider: JsonRpcProvider, wei: bigint): Promise<void> {
  await provider.send('anvil_setNextBlockBaseFeePerGas', [toQuantity(wei)]);
  await provider.send('evm_mine', []);
}

/** The payout contract the agent pinned for its coordinator (network/payout-chains.json). */
async function payoutOf(agent: TestAgent): Promise<string> {
  const pins = JSON.parse(await readFile(join(agent.home, 'data', 'network', 'payout-chains.json'), 'utf8')) as Record<
    string,
    { payoutAddress: string }
  >;
  const [pin] = Object.values(pins);
  assert.ok(pin, 'a payout chain is pinned');
  return pin.payoutAddress;
}
