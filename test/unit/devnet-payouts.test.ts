import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Wallet, parseUnits } from 'ethers';
import type { SignedReceipt } from '../../main/common/protocol.js';
import type { ChainSettings } from '../../main/common/wallet.js';
import { systemClock } from '../../main/core/node-ports.js';
import { connectChain } from '../../main/core/wallet/chain.js';
import { deployPayout, fundNative, startLocalChain, type LocalChain } from '../../main/devnet/chain/local-chain.js';
import { openPayouts, type PayoutLink } from '../../main/devnet/payouts.js';
import { tempDir } from '../helpers/fakes.js';

let chain: LocalChain;
let settings: ChainSettings;
const coordinator = Wallet.createRandom();
before(async () => {
  chain = await startLocalChain();
  ({ settings } = await deployPayout(chain, { coordinator: coordinator.address, fund: parseUnits('100', 18) }));
});
after(() => chain.stop());

const funded: string[] = [];
const link = (): PayoutLink => ({ settings, provider: chain.provider, fund: async (owner) => void funded.push(owner) });

/** A receipt as the coordinator logs it; payouts read only the device, seq and total. */
const receipt = (owner: string, deviceId: string, seq: number, totalWei: string): SignedReceipt => ({
  receipt: {
    receiptId: `${deviceId}-${seq}`,
    seq,
    taskId: `t-${seq}`,
    deviceId,
    owner,
    resourceType: 'cpu',
    status: 'verified',
    units: '1',
    durationMs: 1,
    uptimeBp: 0,
    reputation: 50,
    baseWei: totalWei,
    reputationBonusWei: '0',
    uptimeBonusWei: '0',
    totalWei,
    issuedAt: 1,
  },
  signature: `0x${'11'.repeat(65)}`,
});

test('vouchers come from the receipt log and the contract: a restart owes the same, a claim moves the start, zero owes nothing', { timeout: 60_000 }, async () => {
  const file = join(await tempDir(), 'receipts.jsonl');
  const owner = new Wallet(Wallet.createRandom().privateKey);
  const expiry = Math.floor(Date.now() / 1000) + 600;
  const first = await openPayouts({ file, signer: coordinator, now: Date.now });
  assert.equal(await first.payouts.voucher(link(), 'dev-a', owner.address, expiry), null, 'nothing signed, nothing owed');
  // Logged out of order (two receipts signed at once): the sum and the newest seq do not care.
  for (const [seq, wei] of [[1, '5'], [3, '0'], [2, '7']] as const) await first.payouts.record(receipt(owner.address, 'dev-a', seq, wei));
  await first.payouts.record(receipt(owner.address, 'dev-b', 1, '100'));

  const again = await openPayouts({ file, signer: coordinator, now: Date.now });
  assert.deepEqual(again.earlier.map((s) => s.receipt.receiptId), ['dev-a-1', 'dev-a-3', 'dev-a-2', 'dev-b-1']);
  assert.equal(again.payouts.lastSeq('dev-a'), 3);
  const voucher = await again.payouts.voucher(link(), 'dev-a', owner.address, expiry);
  assert.deepEqual(voucher && { amount: voucher.amount, ranges: voucher.ranges }, {
    amount: '12',
    ranges: [{ deviceId: 'dev-a', firstSeq: 1, lastSeq: 3, amount: '12' }],
  });
  assert.deepEqual(funded, [owner.address], 'fee coins are topped up with a voucher');

  const client = await connectChain(settings, { clock: systemClock });
  try {
    await fundNative(chain, owner.address);
    assert.equal((await client.claim(owner.connect(client.provider), voucher!)).status, 'confirmed');
    assert.equal(await again.payouts.voucher(link(), 'dev-a', owner.address, expiry), null, 'all paid');
    await again.payouts.record(receipt(owner.address, 'dev-a', 4, '0'));
    assert.equal(await again.payouts.voucher(link(), 'dev-a', owner.address, expiry), null, 'a zero-value receipt rides along later');
    await again.payouts.record(receipt(owner.address, 'dev-a', 5, '9'));
    const next = await again.payouts.voucher(link(), 'dev-a', owner.address, expiry);
    assert.deepEqual(next?.ranges, [{ deviceId: 'dev-a', firstSeq: 4, lastSeq: 5, amount: '9' }]);
    // Another device of the same owner is owed separately.
    assert.deepEqual((await again.payouts.voucher(link(), 'dev-b', owner.address, expiry))?.ranges, [{ deviceId: 'dev-b', firstSeq: 1, lastSeq: 1, amount: '100' }]);
  } finally {
    client.close();
  }
});
