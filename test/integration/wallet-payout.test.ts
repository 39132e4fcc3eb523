import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Wallet, parseUnits, verifyTypedData } from 'ethers';
import { eip712Domain, EPOCH_TYPES, REGISTRATION_TYPES, type Receipt, type SignedEpoch } from '../../main/common/protocol.js';
import { epochOf } from '../../main/core/receipts/epochs.js';
import { WalletViewSchema, type ChainSettings, type WalletView } from '../../main/common/wallet.js';
import type { OwnerSigner } from '../../main/core/network/client.js';
import { systemClock } from '../../main/core/node-ports.js';
import { walletHandlers } from '../../main/core/wallet/commands.js';
import type { ClaimContext } from '../../main/core/wallet/claim-check.js';
import { WalletController, type PayoutSource } from '../../main/core/wallet/controller.js';
import { WalletService } from '../../main/core/wallet/service.js';
import { deployPayout, fundNative, startLocalChain, type LocalChain } from '../../main/devnet/chain/local-chain.js';
import { openPayouts, type Payouts } from '../../main/devnet/payouts.js';
import { MemoryLogger, tempDir } from '../helpers/fakes.js';
import { startPayoutChain } from '../helpers/payout-chain.js';
import { keyOfPhrase, TEST_SCRYPT_N } from '../helpers/wallet.js';

let chain: LocalChain;
let settings: ChainSettings;
const coordinator = Wallet.createRandom();
before(async () => ({ chain, settings } = await startPayoutChain(coordinator.address, '100')));
after(() => chain.stop());

const synor = (amount: string) => parseUnits(amount, 18).toString();

/** A receipt of `dev-1` as the devnet coordinator writes it (only seq and totalWei matter to payouts). */
const receiptOf = (owner: string, seq: number, totalWei: string): Receipt => ({
  receiptId: `r-${seq}`,
  seq,
  taskId: `t-${seq}`,
  deviceId: 'dev-1',
  owner,
  resourceType: 'cpu',
  status: 'verified',
  units: '1000',
  durationMs: 100,
  uptimeBp: 10_000,
  reputation: 50,
  baseWei: totalWei,
  reputationBonusWei: '0',
  uptimeBonusWei: '0',
  totalWei,
  issuedAt: Date.now(),
});

/** The epoch over `receipts` as the devnet coordinator seals it: one signature for all of them. */
const sealed = async (receipts: Receipt[]): Promise<SignedEpoch> => {
  const epoch = epochOf(receipts, Date.now());
  return { epoch, signature: await coordinator.signTypedData(eip712Domain(31337), EPOCH_TYPES, epoch) };
};

/**
 * The devnet's payout module (in memory) as the voucher source, and the epochs this device holds as the context
 * the controller checks vouchers against; `held` may differ from what the coordinator counted.
 */
function devnetPayouts(payouts: Payouts, owner: () => string, held: SignedEpoch[], pinned = () => coordinator.address): PayoutSource {
  const link = { settings, provider: chain.provider, fund: async () => undefined };
  return {
    voucher: async () => (await payouts.voucher(link, ['dev-1'], owner(), Math.floor(Date.now() / 1000) + 600)) ?? undefined,
    context: async () => ({ deviceId: 'dev-1', coordinator: pinned(), epochs: held.map((s) => s.epoch) }),
  };
}

test(
  'create → sign the device registration → earn → claim: the SYNOR balance rises on the local chain, and nothing leaks',
  { timeout: 300_000 },
  async () => {
    const logger = new MemoryLogger();
    const views: WalletView[] = [];
    // What the coordinator signed for this device (the devnet's receipt log in the real app), and what the device holds.
    const { payouts } = await openPayouts({ file: null, signer: coordinator, now: Date.now });
    const held: SignedEpoch[] = [];
    let address = '';
    let pinned = coordinator.address;
    /** One epoch of receipts worth `amounts`, logged and sealed by the coordinator and fetched by the device. */
    const earn = async (...amounts: string[]) => {
      const before = (await controller.refresh()).claimable;
      const receipts = amounts.map((amount, i) => receiptOf(address, payouts.lastIssued('dev-1') + 1 + i, amount));
      for (const receipt of receipts) await payouts.record({ kind: 'receipt', receipt });
      assert.equal((await controller.refresh()).claimable, before, 'receipts of an epoch not sealed yet are not owed yet');
      const signed = await sealed(receipts);
      await payouts.record({ kind: 'epoch', signed });
      held.push(signed);
    };
    const service = new WalletService({ dir: await tempDir(), secrets: null, logger, scryptN: TEST_SCRYPT_N });
    await service.open();
    const controller = new WalletController({
      service,
      clock: systemClock,
      logger,
      payouts: devnetPayouts(
        payouts,
        () => address,
        held,
        () => pinned,
      ),
      onChange: (view) => views.push(WalletViewSchema.parse(view)),
    });
    const handlers = walletHandlers(controller, logger);
    const answers: unknown[] = [];
    const answer = async <T>(result: Promise<T>): Promise<T> => {
      const value = await result;
      answers.push(value);
      return value;
    };

    assert.deepEqual((await controller.setChain(settings)).chain, { status: 'ok', chainId: 31337, label: 'test tokens' });
    const created = await answer(handlers.walletCreate({ passphrase: 'devnet passphrase' }));
    assert.ok(created.ok && created.value.wallet.state === 'ready', JSON.stringify(created));
    address = created.value.wallet.address;
    assert.deepEqual(created.value.balances, { synor: '0', native: '0' });
    // The one exempt answer; a key in a passphrase file shows its phrase only with that passphrase.
    const phrase = await handlers.walletRevealPhrase({ confirm: 'show-recovery-phrase', auth: { passphrase: 'devnet passphrase' } });
    assert.ok(phrase.ok);
    const key = keyOfPhrase(phrase.value.words);

    // Device registration, exactly as the network client signs it (the wallet's signer is its OwnerSigner).
    const signer: OwnerSigner = service.signer();
    const registration = {
      deviceId: 'dev-1',
      owner: address,
      coordinator: coordinator.address,
      info: '{"cpu":"test"}',
      issuedAt: Date.now(),
    };
    const signature = await answer(signer.signTypedData(eip712Domain(31337), REGISTRATION_TYPES, registration));
    assert.equal(verifyTypedData(eip712Domain(31337), REGISTRATION_TYPES, registration, signature), address);

    // Earn, then claim. The devnet gives the owner gas money; a real network needs the user to have some.
    await fundNative(chain, address);
    await earn(synor('1.25'), '0', synor('2'));
    assert.equal((await controller.refresh()).claimable, synor('3.25'));
    views.length = 0;
    const claimed = await answer(handlers.walletClaim(undefined));
    assert.ok(claimed.ok, JSON.stringify(claimed));
    assert.equal(claimed.value.status, 'confirmed');
    assert.deepEqual(
      views.map((v) => [v.claims[0]?.status, v.balances?.synor]),
      [
        ['pending', '0'],
        ['confirmed', synor('3.25')],
      ],
      'the UI sees the transaction pending, then confirmed with the new balance',
    );
    const view = controller.view();
    assert.equal(view.claimable, '0');
    assert.equal((await chain.provider.getTransactionReceipt(claimed.value.txHash))?.status, 1);

    const nothing = await answer(handlers.walletClaim(undefined));
    assert.deepEqual(nothing, { ok: false, error: { code: 'NOT_APPLICABLE', message: 'There is nothing to claim yet.' } });

    await earn(synor('0.5'));
    const second = await answer(handlers.walletClaim(undefined));
    assert.ok(second.ok);
    const final = await answer(handlers.getWallet(undefined));
    assert.ok(final.ok);
    assert.equal(final.value.balances?.synor, synor('3.75'));
    assert.deepEqual(
      final.value.claims.map((c) => [c.amount, c.ranges.map((r) => [r.deviceId, r.firstSeq, r.lastSeq, r.amount]), c.status]),
      [
        [synor('0.5'), [['dev-1', 4, 4, synor('0.5')]], 'confirmed'],
        [synor('3.25'), [['dev-1', 1, 3, synor('3.25')]], 'confirmed'],
      ],
    );

    // A voucher that does not match what this device holds is refused before anything is sent.
    await earn(synor('1'));
    held.pop();
    const short = await answer(handlers.walletClaim(undefined));
    assert.ok(!short.ok && short.error.code === 'VOUCHER_MISMATCH', JSON.stringify(short));
    assert.match(short.error.message, /covers receipts up to 5, but this device has received only up to 4/);
    held.push(await sealed([receiptOf(address, 5, synor('0.9'))]));
    const wrongSum = await answer(handlers.walletClaim(undefined));
    assert.ok(!wrongSum.ok && wrongSum.error.code === 'VOUCHER_MISMATCH');
    assert.match(
      wrongSum.error.message,
      /receipts 5–5 add up to 900000000000000000 wei in your own records, but the voucher says 1000000000000000000 wei/,
    );
    // The device holds receipt 5 in a signed epoch that goes on past it: a voucher ending at 5 cannot be checked.
    held[held.length - 1] = await sealed([receiptOf(address, 5, synor('1')), receiptOf(address, 6, '0')]);
    const midEpoch = await answer(handlers.walletClaim(undefined));
    assert.ok(!midEpoch.ok && midEpoch.error.code === 'VOUCHER_MISMATCH', JSON.stringify(midEpoch));
    assert.match(midEpoch.error.message, /the voucher ends at receipt 5, inside one of this device's signed epochs/);
    held[held.length - 1] = await sealed([receiptOf(address, 5, synor('1'))]);
    // This device trusts another coordinator than the one whose vouchers the contract pays.
    pinned = Wallet.createRandom().address;
    const foreign = await answer(handlers.walletClaim(undefined));
    assert.ok(!foreign.ok && foreign.error.code === 'VOUCHER_MISMATCH');
    assert.match(
      foreign.error.message,
      new RegExp(`the payout contract pays vouchers of ${coordinator.address}, but your receipts come from ${pinned}`),
    );
    assert.equal((await controller.refresh()).balances?.synor, synor('3.75'), 'nothing was paid');
    pinned = coordinator.address;
    const matching = await answer(handlers.walletClaim(undefined));
    assert.ok(matching.ok && matching.value.status === 'confirmed', JSON.stringify(matching));
    assert.equal((await controller.refresh()).balances?.synor, synor('4.75'));

    const seen = JSON.stringify([answers, views, logger.lines]).toLowerCase();
    assert.ok(seen.includes(claimed.value.txHash));
    assert.ok(!seen.includes(key.slice(2).toLowerCase()) && !seen.includes(phrase.value.words.slice(0, 3).join(' ')));
    controller.close();
  },
);

test('wrong chain settings show as a chain error in the view, and claiming says why it cannot', { timeout: 300_000 }, async () => {
  const logger = new MemoryLogger();
  const service = new WalletService({ dir: await tempDir(), secrets: null, logger, scryptN: TEST_SCRYPT_N });
  await service.open();
  await service.import({ secret: { kind: 'privateKey', privateKey: Wallet.createRandom().privateKey }, passphrase: 'a passphrase' });
  const controller = new WalletController({ service, clock: systemClock, logger });
  const view = await controller.setChain({ ...settings, chainId: 5 });
  assert.equal(view.chain.status, 'error');
  assert.match(view.chain.message ?? '', /serves chain 31337, but the settings expect chain 5/);
  assert.equal(view.balances, undefined);
  const claim = await walletHandlers(controller, logger).walletClaim(undefined);
  assert.ok(!claim.ok && claim.error.code === 'CHAIN_UNREACHABLE' && /expect chain 5/.test(claim.error.message));
  assert.equal((await controller.setChain(settings)).chain.status, 'ok');

  // A node that goes away later: the view says the chain cannot be read, and recovers when it is back.
  const other = await startLocalChain();
  const { settings: otherSettings } = await deployPayout(other, { coordinator: coordinator.address });
  assert.equal((await controller.setChain(otherSettings)).chain.status, 'ok');
  await other.stop();
  const down = await controller.refresh();
  assert.equal(down.chain.status, 'error');
  assert.match(down.chain.message ?? '', /^Cannot read the chain: /);
  assert.equal((await controller.setChain(settings)).chain.status, 'ok');
  controller.close();
});

test(
  'backup round trip: create → earn → export → remove → import the backup → the same address and the same claimable earnings',
  {
    timeout: 120_000,
  },
  async () => {
    // A payout contract of its own: dev-1's receipts start again at 1 (the first test's were paid on the other one).
    ({ settings } = await deployPayout(chain, { coordinator: coordinator.address, fund: parseUnits('100', 18) }));
    const logger = new MemoryLogger();
    const { payouts } = await openPayouts({ file: null, signer: coordinator, now: Date.now });
    const held: SignedEpoch[] = [];
    let address = '';
    const service = new WalletService({ dir: await tempDir(), secrets: null, logger, scryptN: TEST_SCRYPT_N });
    await service.open();
    const controller = new WalletController({ service, clock: systemClock, logger, payouts: devnetPayouts(payouts, () => address, held) });
    const handlers = walletHandlers(controller, logger);
    await controller.setChain(settings);
    const created = await handlers.walletCreate({ passphrase: 'devnet passphrase' });
    assert.ok(created.ok && created.value.wallet.state === 'ready', JSON.stringify(created));
    address = created.value.wallet.address;
    const receipts = [receiptOf(address, 1, synor('1.5')), receiptOf(address, 2, synor('0.25'))];
    for (const receipt of receipts) await payouts.record({ kind: 'receipt', receipt });
    held.push(await sealed(receipts));
    await payouts.record({ kind: 'epoch', signed: held[0]! });
    const owed = (await controller.refresh()).claimable;
    assert.equal(owed, synor('1.75'));

    const exported = await handlers.walletExport({ passphrase: 'backup passphrase', auth: { passphrase: 'devnet passphrase' } });
    assert.ok(exported.ok && exported.value.to === 'download', JSON.stringify(exported));
    const removed = await handlers.walletRemove({ address, auth: { passphrase: 'devnet passphrase' } });
    assert.ok(removed.ok && removed.value.wallet.state === 'none' && removed.value.claimable === '0', JSON.stringify(removed));

    const backup = { kind: 'keystore' as const, json: exported.value.json, passphrase: 'backup passphrase' };
    const imported = await handlers.walletImport({ secret: backup });
    assert.ok(imported.ok && imported.value.wallet.state === 'ready', JSON.stringify(imported));
    assert.equal(imported.value.wallet.address, address);
    assert.equal(imported.value.claimable, owed, 'the same earnings are claimable');
    // And the key is really back: the claim is signed by it and pays it.
    await fundNative(chain, address);
    const claimed = await handlers.walletClaim(undefined);
    assert.ok(claimed.ok && claimed.value.status === 'confirmed', JSON.stringify(claimed));
    assert.equal((await controller.refresh()).balances?.synor, owed);
    controller.close();
  },
);

test(
  'a voucher naming a member device of this wallet is claimed only when the member’s signed epochs add up to it',
  { timeout: 120_000 },
  async () => {
    // A payout contract of its own: receipt numbers start again at 1.
    ({ settings } = await deployPayout(chain, { coordinator: coordinator.address, fund: parseUnits('100', 18) }));
    const logger = new MemoryLogger();
    const service = new WalletService({ dir: await tempDir(), secrets: null, logger, scryptN: TEST_SCRYPT_N });
    await service.open();
    await service.import({ secret: { kind: 'privateKey', privateKey: Wallet.createRandom().privateKey }, passphrase: 'a passphrase' });
    const address = service.signer().address;
    // dev-1 is this computer, dev-2 a member earning to the same wallet under its delegation.
    const receipt = (deviceId: string, seq: number, wei: string): Receipt => ({
      ...receiptOf(address, seq, wei),
      deviceId,
      receiptId: `${deviceId}-${seq}`,
    });
    const own = await sealed([receipt('dev-1', 1, synor('1'))]);
    const member = await sealed([receipt('dev-2', 1, synor('2')), receipt('dev-2', 2, synor('0.5'))]);
    const { payouts } = await openPayouts({ file: null, signer: coordinator, now: Date.now });
    for (const signed of [own, member]) await payouts.record({ kind: 'epoch', signed });
    let others: ClaimContext['others'];
    const link = { settings, provider: chain.provider, fund: async () => undefined };
    const controller = new WalletController({
      service,
      clock: systemClock,
      logger,
      payouts: {
        voucher: async () => (await payouts.voucher(link, ['dev-1', 'dev-2'], address, Math.floor(Date.now() / 1000) + 600)) ?? undefined,
        context: async () => ({ deviceId: 'dev-1', coordinator: coordinator.address, epochs: [own.epoch], ...(others ? { others } : {}) }),
      },
    });
    await controller.setChain(settings);
    await fundNative(chain, address);
    const claim = () => walletHandlers(controller, logger).walletClaim(undefined);

    // No way to read the member's earnings: nothing is paid.
    const unchecked = await claim();
    assert.ok(!unchecked.ok && unchecked.error.code === 'VOUCHER_MISMATCH', JSON.stringify(unchecked));
    assert.match(unchecked.error.message, /covers receipts of device dev-2, not of this device/);
    // The member's epochs as the network served them, one receipt short of the voucher: refused.
    others = async () => [{ ...member.epoch, lastSeq: 1, totalWei: synor('2') }];
    const short = await claim();
    assert.ok(!short.ok && short.error.code === 'VOUCHER_MISMATCH');
    assert.match(short.error.message, /covers receipts up to 2, but device dev-2 has received only up to 1/);
    // As signed: one claim pays both computers.
    others = async (deviceId, after) => (deviceId === 'dev-2' && after === 0 ? [member.epoch] : []);
    const both = await claim();
    assert.ok(both.ok && both.value.status === 'confirmed', JSON.stringify(both));
    assert.deepEqual(
      both.value.ranges.map((r) => [r.deviceId, r.firstSeq, r.lastSeq, r.amount]),
      [
        ['dev-1', 1, 1, synor('1')],
        ['dev-2', 1, 2, synor('2.5')],
      ],
    );
    assert.equal((await controller.refresh()).balances?.synor, synor('3.5'));
    const gas = (await chain.provider.getTransactionReceipt(both.value.txHash))?.gasUsed;
    console.log(`one claim for two computers (2 ranges): ${gas} gas`);
    controller.close();
  },
);
