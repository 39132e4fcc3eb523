// One wallet for a fleet, on real parts end to end: `npm run devnet` (coordinator + anvil) as its own process and two
// whole agents in theirs. The member has no wallet: it earns under the owner's delegation for its device key; the
// owner makes one claim covering both machines, paid to the wei of both ledgers; a revoked delegation stops the
// member's new work while what it earned stays the owner's; a forged or foreign delegation is refused.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, test } from 'node:test';
import { Contract, JsonRpcProvider, Wallet } from 'ethers';
import type { SignedDelegation } from '../../main/common/delegation.js';
import type { AgentState } from '../../main/common/state.js';
import type { WalletView } from '../../main/common/wallet.js';
import { PAYOUT_ABI, TOKEN_ABI } from '../../main/common/payout-abi.js';
import { readPaid } from '../../main/core/wallet/chain.js';
import { signDelegation } from '../../main/core/wallet/delegation.js';
import { rpc } from '../helpers/headless.js';
import { claimAll, freshAgent, freshDevnet, kept, ledgerWei, pinnedPayout, settled, shareNow, type TestAgent } from './support/agents.js';

const running: { stop(): Promise<void> }[] = [];
after(() => Promise.all(running.splice(0).map((r) => r.stop())));

const PASSPHRASE = 'correct horse battery staple';
const confirmedWei = (s: AgentState): bigint => BigInt(s.work.earned?.confirmedWei ?? '0');
const connected = (s: AgentState): boolean => ['connected', 'no-work'].includes(s.work.network?.code ?? '');

/** The answer's error code and words, failing the test if the command succeeded. */
async function refused(agent: TestAgent, cmd: string, args: unknown): Promise<string> {
  const answer = (await rpc(agent, cmd, args)) as { ok: boolean; error?: { code: string; message: string } };
  assert.ok(!answer.ok, `${cmd} should have been refused`);
  return `${answer.error!.code}: ${answer.error!.message}`;
}

async function deviceIdOf(agent: TestAgent): Promise<string> {
  return (JSON.parse(await readFile(`${agent.home}/data/network/client.json`, 'utf8')) as { deviceId: string }).deviceId;
}

test(
  'a member with no wallet earns under the owner’s delegation, one claim pays both machines to the wei, a revocation stops its new work, forged and foreign delegations are refused',
  { timeout: 900_000 },
  async () => {
    // Epochs sealed at every fetch: the member's last receipts come with the fetch after its last submit, not at its
    // sync timer's next round half a minute after the owner's claim sealed them.
    const [devnet, owner, member] = await Promise.all([
      kept(running, freshDevnet(0)),
      kept(running, freshAgent()),
      kept(running, freshAgent()),
    ]);
    const ownerWallet = await owner.ok<WalletView>('walletCreate', { passphrase: PASSPHRASE });
    assert.ok(ownerWallet.wallet.state === 'ready');
    const ownerAddress = ownerWallet.wallet.address;
    // A quarter of the processor each: two sharing agents leave room for the file running beside this one.
    await Promise.all([owner, member].map((a) => a.ok('updateSettings', { ...shareNow(devnet.url), cpuSharePercent: 25 })));
    const { address: memberKey } = await member.ok<{ address: string }>('networkDeviceKey');
    assert.equal((await member.ok<{ address: string }>('networkDeviceKey')).address, memberKey, 'the device key is kept');
    await owner.until(connected, 'the owner on the devnet');

    // Signing a delegation needs the same proof as an export.
    assert.match(
      await refused(owner, 'walletDelegate', { deviceAddress: memberKey }),
      /^CONFIRMATION_REQUIRED: Enter your wallet passphrase/,
    );
    const delegation = await owner.ok<SignedDelegation>('walletDelegate', { deviceAddress: memberKey, auth: { passphrase: PASSPHRASE } });
    assert.equal(delegation.delegation.owner, ownerAddress);

    // Foreign: the owner's delegation for another computer's key is refused by the member itself.
    const foreign = await owner.ok<SignedDelegation>('walletDelegate', {
      deviceAddress: Wallet.createRandom().address,
      auth: { passphrase: PASSPHRASE },
    });
    assert.match(
      await refused(member, 'networkUseDelegation', { delegation: foreign }),
      /^NOT_APPLICABLE: This permission is for another computer's key/,
    );
    // Forged: made by a stranger in the owner's name; the coordinator refuses the registration, and the member says so.
    const forged = await signDelegation(Wallet.createRandom(), 31337, { ...delegation.delegation });
    forged.delegation.owner = ownerAddress;
    await member.ok('networkUseDelegation', { delegation: forged });
    await member.until(
      (s) => s.work.network?.code === 'error' && /not signed by the owner address it names/.test(s.work.network.message),
      'the forged delegation refused',
    );

    // The real one: the member earns to the owner with no wallet of its own, and the owner earns too.
    const use = await member.ok<{ owner: string }>('networkUseDelegation', { delegation });
    assert.equal(use.owner, ownerAddress);
    await Promise.all([owner, member].map((a) => a.until((s) => confirmedWei(s) > 0n, 'earnings on the devnet')));
    assert.equal((await member.ok<WalletView>('getWallet')).wallet.state, 'none', 'the member has no wallet');

    // Revoked: the member's new work is refused in plain words; what it earned stays the owner's.
    assert.deepEqual(await owner.ok('walletRevokeDelegation', { deviceAddress: memberKey }), { status: 'revoked' });
    await member.until(
      (s) => s.work.network?.code === 'no-work' && /withdrawn its permission/.test(s.work.network.message),
      'the member told its permission was withdrawn',
    );
    await Promise.all([owner, member].map((a) => a.ok('setShare', { on: false })));
    await Promise.all([owner, member].map((a) => a.until(settled, 'all results submitted')));

    // One claim for both machines (a later one only for receipts whose epoch was still open at the first).
    const claims = await claimAll(owner);
    const [ownerDevice, memberDevice] = await Promise.all([deviceIdOf(owner), deviceIdOf(member)]);
    assert.deepEqual(claims[0]!.ranges.map((r) => r.deviceId).sort(), [ownerDevice, memberDevice].sort(), 'one claim covers both machines');

    const provider = new JsonRpcProvider(devnet.rpcUrl);
    try {
      const payout = new Contract(await pinnedPayout(owner, devnet.url), PAYOUT_ABI, provider);
      const token = new Contract(await payout.getFunction('token')(), TOKEN_ABI, provider);
      const paidMember = await readPaid(payout, ownerAddress, memberDevice);
      // The member fetches its own receipts on its timer: its ledger shows every epoch the owner was paid for.
      await member.until((s) => confirmedWei(s) === paidMember.total, 'the member’s ledger up to what was paid');
      const totals = {
        owner: await ledgerWei(owner.home),
        member: await ledgerWei(member.home),
        chain: (await token.getFunction('balanceOf')(ownerAddress)) as bigint,
      };
      console.log(`owner ledger ${totals.owner} wei + member ledger ${totals.member} wei; owner's balance on chain ${totals.chain} wei`);
      assert.ok(totals.owner > 0n && totals.member > 0n);
      assert.equal(totals.chain, totals.owner + totals.member, 'paid to the wei of both ledgers');
      assert.equal(paidMember.total, totals.member);
    } finally {
      provider.destroy();
    }
  },
);
