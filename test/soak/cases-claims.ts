// Automatic claims (issue 28 item 7) when the chain is slow: a whole agent on the devnet (`npm run devnet`, its own
// anvil) whose claim transaction waits unmined while new earnings keep passing the threshold at every refresh. Never a
// second transaction for the same receipts; once mined, the chain holds what the ledger's receipts of it add up to.
import { join } from 'node:path';
import { JsonRpcProvider } from 'ethers';
import type { AgentState } from '../../main/common/state.js';
import type { WalletView } from '../../main/common/wallet.js';
import { tempDir } from '../helpers/fakes.js';
import { receiptsIn } from '../helpers/ledger.js';
import { shareNow, startAgent, startDevnet, type TestAgent } from '../integration/support/agents.js';
import { clean, type CaseOutcome, type SoakCase } from './case.js';

const claimable = (s: AgentState): bigint => BigInt(s.wallet.claimable);
/** Refreshes (one per epoch, a second each) the claim stays unmined while claimable keeps growing. */
const REFRESHES = 5;

async function stuckClaim(): Promise<CaseOutcome> {
  const devnet = await startDevnet(await tempDir());
  const provider = new JsonRpcProvider(devnet.rpcUrl);
  let agent: TestAgent | undefined;
  try {
    agent = await startAgent(await tempDir());
    const created = await agent.ok<WalletView>('walletCreate', { passphrase: 'soak passphrase' });
    if (created.wallet.state === 'none') return { ...clean, ok: false, outcome: 'no wallet' };
    const address = created.wallet.address;
    await agent.ok('updateSettings', shareNow(devnet.url));
    await agent.until((s) => s.wallet.chain.status === 'ok' && claimable(s) > 0n, 'earnings');
    // From now on blocks are mined only when asked: the claim's transaction waits in the mempool.
    await provider.send('evm_setAutomine', [false]);
    await agent.ok('updateSettings', { autoClaim: { enabled: true, thresholdWei: '1' } });
    let state = await agent.until((s) => s.wallet.claims.some((c) => c.status === 'pending'), 'a claim sent');
    for (let i = 0; i < REFRESHES; i++) {
      const before = claimable(state);
      state = await agent.until((s) => claimable(s) > before, 'more earnings past the threshold');
    }
    const sent = (await provider.getTransactionCount(address, 'pending')) - (await provider.getTransactionCount(address, 'latest'));
    await provider.send('evm_setAutomine', [true]);
    await provider.send('evm_mine', []);
    const paid = await agent.until((s) => s.wallet.claims.some((c) => c.status === 'confirmed'), 'the claim mined');
    const record = paid.wallet.claims.find((c) => c.status === 'confirmed')!;
    await agent.ok('setShare', { on: false });
    const receipts = await receiptsIn(join(agent.home, 'data', 'ledger.jsonl'));
    const inLedger = record.ranges
      .flatMap((range) => receipts.filter((r) => r.deviceId === range.deviceId && r.seq >= range.firstSeq && r.seq <= range.lastSeq))
      .reduce((sum, r) => sum + BigInt(r.totalWei), 0n);
    const view = await agent.ok<WalletView>('getWallet');
    const onChain = BigInt(view.balances?.synor ?? '0');
    const claims = view.claims.length;
    return {
      ...clean,
      ok: sent === 1 && claims === 1 && onChain === inLedger && inLedger === BigInt(record.amount),
      outcome:
        `${sent} transaction(s) unmined over ${REFRESHES} refreshes past the threshold, ${claims} claim(s) in all; ` +
        `paid ${onChain} wei, the ledger's receipts of it ${inLedger} wei`,
    };
  } finally {
    await provider.send('evm_setAutomine', [true]).catch(() => undefined);
    provider.destroy();
    await agent?.stop();
    await devnet.stop();
  }
}

export const CLAIM_CASES: SoakCase[] = [
  {
    name: 'automatic claim stuck unmined: one transaction however many refreshes pass the threshold, then paid to the wei',
    fast: false,
    run: stuckClaim,
  },
];
