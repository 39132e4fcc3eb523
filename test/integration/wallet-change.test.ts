// A wallet removed and another made on the same computer, on real parts end to end: `npm run devnet` (coordinator +
// anvil) as its own process and a whole agent in its own. The work stops when the first wallet goes; the new wallet
// earns under a device id of its own (the coordinator holds the first id for the first owner), its epochs are taken
// into the ledger and its claim pays it to the wei; the first wallet's epochs stay in the ledger, and both pass the
// ledger's check after a restart.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, test } from 'node:test';
import { Contract, JsonRpcProvider } from 'ethers';
import type { ActivityEntry, AgentState } from '../../main/common/state.js';
import type { WalletView } from '../../main/common/wallet.js';
import { PAYOUT_ABI, TOKEN_ABI } from '../../main/common/payout-abi.js';
import { readPaid } from '../../main/core/wallet/chain.js';
import { recordsOf } from '../helpers/ledger.js';
import { claimAll, freshAgent, freshDevnet, kept, pinnedPayout, settled, shareNow, startAgent } from './support/agents.js';

const running: { stop(): Promise<void> }[] = [];
after(() => Promise.all(running.splice(0).map((r) => r.stop())));

const PASSPHRASE = 'correct horse battery staple';
const confirmedWei = (s: AgentState): bigint => BigInt(s.work.earned?.confirmedWei ?? '0');
/** The wei of the ledger's epochs, per owner (lower case). */
async function weiByOwner(home: string): Promise<Map<string, bigint>> {
  const sums = new Map<string, bigint>();
  for (const { signed } of await recordsOf(`${home}/data/ledger.jsonl`)) {
    const owner = signed.epoch.owner.toLowerCase();
    sums.set(owner, (sums.get(owner) ?? 0n) + BigInt(signed.epoch.totalWei));
  }
  return sums;
}

async function deviceIdOf(home: string): Promise<string> {
  return (JSON.parse(await readFile(`${home}/data/network/client.json`, 'utf8')) as { deviceId: string }).deviceId;
}

test(
  'a wallet removed stops the work done for it; the next wallet earns under its own device id and is paid to the wei; both histories pass the check after a restart',
  { timeout: 600_000 },
  async () => {
    // Epochs sealed at every fetch: each receipt is claimable as soon as it is fetched.
    const [devnet, agent] = await Promise.all([kept(running, freshDevnet(0)), kept(running, freshAgent())]);
    const first = await agent.ok<WalletView>('walletCreate', { passphrase: PASSPHRASE });
    assert.ok(first.wallet.state === 'ready');
    await agent.ok('updateSettings', { ...shareNow(devnet.url), cpuSharePercent: 50 });
    await agent.until((s) => confirmedWei(s) > 0n, 'earnings for the first wallet');
    const firstDevice = await deviceIdOf(agent.home);

    // Removed while sharing: no more work for its address.
    await agent.ok('walletRemove', { address: first.wallet.address, auth: { passphrase: PASSPHRASE } });
    await agent.until((s) => s.work.network === null && /Create or import a wallet/.test(s.work.blocker ?? ''), 'the work stopped');

    const second = await agent.ok<WalletView>('walletCreate', { passphrase: PASSPHRASE });
    assert.ok(second.wallet.state === 'ready');
    const secondOwner = second.wallet.address.toLowerCase();
    await agent.until((s) => s.work.network?.code === 'connected' || s.work.network?.code === 'no-work', 'the second wallet joined');
    const activity = await agent.ok<ActivityEntry[]>('getActivity');
    const told = activity.find((e) => e.kind === 'notice' && /^This computer now earns for 0x/.test(e.message))?.message ?? '';
    assert.match(told, new RegExp(`${first.wallet.address.slice(0, 6)}…${first.wallet.address.slice(-4)} before stays with that address`));
    const secondDevice = await deviceIdOf(agent.home);
    assert.notEqual(secondDevice, firstDevice, 'a device id is one owner’s for good');
    let earned = await weiByOwner(agent.home);
    while (!earned.get(secondOwner)) {
      await agent.until((s) => confirmedWei(s) > [...earned.values()].reduce((a, b) => a + b, 0n), 'earnings for the second wallet');
      earned = await weiByOwner(agent.home);
    }
    const state = await agent.until(() => true, 'the state');
    assert.ok(state.work.network?.code !== 'error', `no epoch refused: ${state.work.network?.message}`);

    await agent.ok('setShare', { on: false });
    await agent.until(settled, 'all results submitted');
    const claims = await claimAll(agent);
    assert.deepEqual(
      [...new Set(claims.flatMap((c) => c.ranges.map((r) => r.deviceId)))],
      [secondDevice],
      'the claim names the new id only',
    );

    // What is left to claim is the wallet's own: the first wallet's epochs in the ledger are not its to claim.
    await agent.until((s) => s.work.networks?.find((n) => n.current)?.unclaimedWei === '0', 'nothing left to claim');
    earned = await weiByOwner(agent.home);
    const provider = new JsonRpcProvider(devnet.rpcUrl);
    try {
      const payout = new Contract(await pinnedPayout(agent, devnet.url), PAYOUT_ABI, provider);
      const token = new Contract(await payout.getFunction('token')(), TOKEN_ABI, provider);
      const balance = (await token.getFunction('balanceOf')(second.wallet.address)) as bigint;
      console.log(
        `first wallet: ${earned.get(first.wallet.address.toLowerCase())} wei in the ledger; second: ${earned.get(secondOwner)} wei, paid ${balance}`,
      );
      assert.equal(balance, earned.get(secondOwner), 'the second wallet is paid exactly its epochs');
      assert.equal((await readPaid(payout, second.wallet.address, firstDevice)).total, 0n, 'nothing of the first id is paid to it');
      assert.ok((earned.get(first.wallet.address.toLowerCase()) ?? 0n) > 0n, 'the first wallet’s epochs stay in the ledger');
    } finally {
      provider.destroy();
    }

    // After a restart the ledger's check takes the epochs of both ids: none is set aside.
    const total = [...earned.values()].reduce((a, b) => a + b, 0n);
    await agent.stop();
    const again = await kept(running, startAgent(agent.home));
    await again.until((s) => s.work.ledgerCheck === null && confirmedWei(s) === total, 'both histories counted after the restart');
  },
);
