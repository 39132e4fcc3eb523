// The embedded devnet rests while nothing needs it, on real parts: a whole agent from source with its forked devnet
// (coordinator and anvil), real job hosts. It runs while sharing and until the work in hand is paid in an epoch,
// then stops (no devnet process left); while it rests the page still has the earnings, the ledger's unclaimed amount,
// the balances and claims read last; a claim starts it again on the same address and pays everything, to the wei.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, test } from 'node:test';
import type { EarningsSummary } from '../../main/common/network.js';
import type { AgentState } from '../../main/common/state.js';
import type { ClaimRecord, WalletView } from '../../main/common/wallet.js';
import { tempDir } from '../helpers/fakes.js';
import { ledgerWei, shareNow, startAgent, type TestAgent } from './support/agents.js';

const running: TestAgent[] = [];
after(() => Promise.all(running.splice(0).map((r) => r.stop())));

/** The agent's child processes that are the devnet (its coordinator or its chain); Linux's /proc. */
function devnetProcesses(pid: number): string[] {
  const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  return kids.flatMap((kid) => {
    const argv = (() => {
      try {
        return readFileSync(`/proc/${kid}/cmdline`, 'utf8');
      } catch {
        return ''; // ended while listed
      }
    })();
    return [...(argv.includes('devnet') ? [argv.split('\0').slice(0, 3).join(' ')] : []), ...devnetProcesses(Number(kid))];
  });
}

const resting = (s: AgentState): boolean => s.work.blocker?.includes('resting') === true;
const unclaimed = (s: AgentState): bigint => BigInt(s.work.networks?.find((n) => n.current)?.unclaimedWei ?? '0');

test(
  'the embedded devnet rests once nothing needs it, keeps every figure on show, and wakes for a claim that pays all',
  { timeout: 600_000, skip: process.platform !== 'linux' && 'reads /proc' },
  async () => {
    process.env['SYNOR_DEVNET_IDLE_SECONDS'] = '2';
    // Epochs of 5 s: the rest waits for the work in hand to be paid in one, not for a minute.
    process.env['SYNOR_DEVNET_EPOCH_SECONDS'] = '5';
    const agent = await startAgent(await tempDir());
    running.push(agent);
    const pid = agent.child.pid ?? 0;
    await agent.ok('walletCreate', { passphrase: 'correct horse battery staple' });
    await agent.ok('updateSettings', shareNow(null));
    const earning = await agent.until((s) => s.wallet.chain.status === 'ok' && BigInt(s.wallet.claimable) > 0n, 'earnings');
    const address = earning.work.network?.url;
    assert.ok(address);
    assert.ok(devnetProcesses(pid).length >= 2, 'coordinator and chain run while sharing');

    await agent.ok('setShare', { on: false });
    const rested = await agent.until(resting, 'the devnet resting');
    assert.deepEqual(devnetProcesses(pid), [], 'no devnet process left while it rests');
    // Nothing in hand was dropped: every result sent was paid in an epoch before it went to sleep.
    assert.equal(rested.work.network, null);
    const earned = await ledgerWei(agent.home);
    assert.ok(earned > 0n);
    assert.equal(unclaimed(rested), earned, 'the ledger says what is left to claim, to the wei');
    assert.equal(BigInt(rested.work.earned?.confirmedWei ?? '0'), earned, 'earnings shown from the ledger');
    assert.equal(rested.work.earned?.pendingTasks, 0, 'no result waits for an epoch');
    assert.ok(rested.wallet.balances, 'the balances read last stay on show');
    const summary = await agent.ok<EarningsSummary>('getEarnings', {});
    assert.equal(BigInt(summary.total.confirmedWei), earned, 'the earnings page answers from the ledger while it rests');

    const record = await agent.ok<ClaimRecord>('walletClaim');
    assert.equal(record.status, 'confirmed');
    assert.equal(BigInt(record.amount), earned, 'the claim pays everything earned before the rest');
    const view = await agent.ok<WalletView>('getWallet');
    assert.equal(BigInt(view.balances?.synor ?? '0'), earned);
    const woken = (await agent.ok<AgentState>('getState')).work.network?.url;
    assert.equal(woken, address, 'it woke on the address it had, so the ledger and the wallet see one network');
    await agent.until(resting, 'the devnet resting again after the claim');
    assert.deepEqual(devnetProcesses(pid), []);
  },
);
