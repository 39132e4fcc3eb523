import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, test } from 'node:test';
import { Wallet, parseUnits } from 'ethers';
import type { ChainSettings, Voucher } from '../../main/common/wallet.js';
import { connectChain, type ChainClient } from '../../main/core/wallet/chain.js';
import { WalletError } from '../../main/core/wallet/errors.js';
import { systemClock } from '../../main/core/node-ports.js';
import { tempDir } from '../helpers/fakes.js';
import { startPayoutChain } from '../helpers/payout-chain.js';
import { fundNative, payoutDeployment, startLocalChain, type LocalChain } from '../../main/devnet/chain/local-chain.js';
import { signVoucher } from '../../main/devnet/chain/vouchers.js';

let chain: LocalChain;
let settings: ChainSettings;
let client: ChainClient;
const coordinator = Wallet.createRandom();

before(async () => {
  ({ chain, settings } = await startPayoutChain(coordinator.address, '1000'));
  client = await connectChain(settings, { clock: systemClock });
});
after(async () => {
  client.close();
  await chain.stop();
});

/** A fresh owner with gas money, so tests do not share receipt counters. */
async function owner(): Promise<Wallet> {
  const wallet = new Wallet(Wallet.createRandom().privateKey, client.provider);
  await fundNative(chain, wallet.address);
  return wallet;
}

const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;
/** A voucher for receipts [first, last] of device `dev-1`. */
const voucherFor = (
  who: string,
  first: number,
  last: number,
  amount = '5',
  expiry = inAnHour(),
  signer = coordinator,
): Promise<Voucher> => {
  const wei = parseUnits(amount, 18).toString();
  return signVoucher(signer, settings, {
    owner: who,
    amount: wei,
    ranges: [{ deviceId: 'dev-1', firstSeq: first, lastSeq: last, amount: wei }],
    expiry,
  });
};

const rejects = (work: Promise<unknown>, message: RegExp) =>
  assert.rejects(work, (error: unknown) => error instanceof WalletError && error.code === 'CLAIM_REJECTED' && message.test(error.message));

test(
  'the owner claims a coordinator voucher: SYNOR balance rises, the claim is confirmed and in the history',
  { timeout: 120_000 },
  async () => {
    const me = await owner();
    const voucher = await voucherFor(me.address, 1, 3, '7.5');
    assert.equal(await client.claimable(voucher, me.address), parseUnits('7.5', 18));
    const sent: string[] = [];
    const record = await client.claim(me, voucher, (pending) => sent.push(`${pending.status} ${pending.txHash}`));
    assert.equal(record.status, 'confirmed');
    assert.deepEqual(sent, [`pending ${record.txHash}`]);
    const receipt = await client.provider.getTransactionReceipt(record.txHash);
    assert.equal(receipt?.status, 1);
    assert.equal((await client.balances(me.address)).synor, parseUnits('7.5', 18));
    assert.deepEqual(await client.paid(me.address, 'dev-1'), { lastSeq: 3, total: parseUnits('7.5', 18) });
    assert.equal(await client.claimable(voucher, me.address), 0n, 'a used voucher is worth nothing');
    const history = await client.history(me.address);
    assert.deepEqual(
      history.map((h) => [h.txHash, h.amount, h.ranges, h.status]),
      [
        [
          record.txHash,
          parseUnits('7.5', 18).toString(),
          [{ deviceId: 'dev-1', firstSeq: 1, lastSeq: 3, amount: parseUnits('7.5', 18).toString() }],
          'confirmed',
        ],
      ],
    );
    assert.ok(Math.abs((history[0]?.at ?? 0) - Date.now()) < 60_000, 'history carries the block time');
  },
);

test('a voucher pays once: replaying it, or an overlapping range, is refused; the next range pays', { timeout: 120_000 }, async () => {
  const me = await owner();
  const first = await voucherFor(me.address, 1, 2);
  await client.claim(me, first);
  await rejects(client.claim(me, first), /already paid/);
  await rejects(client.claim(me, await voucherFor(me.address, 2, 4)), /already paid/);
  assert.equal((await client.claim(me, await voucherFor(me.address, 3, 4, '1'))).status, 'confirmed');
  assert.equal((await client.balances(me.address)).synor, parseUnits('6', 18));
  // Devices are paid independently; a voucher whose total is not the sum of its ranges pays nothing.
  const wei = parseUnits('2', 18).toString();
  const two = (total: string) =>
    signVoucher(coordinator, settings, {
      owner: me.address,
      amount: total,
      ranges: [
        { deviceId: 'dev-2', firstSeq: 1, lastSeq: 1, amount: wei },
        { deviceId: 'dev-3', firstSeq: 1, lastSeq: 5, amount: wei },
      ],
      expiry: inAnHour(),
    });
  await rejects(client.claim(me, await two(parseUnits('5', 18).toString())), /not the sum/);
  assert.equal((await client.claim(me, await two(parseUnits('4', 18).toString()))).status, 'confirmed');
  assert.deepEqual(await client.paid(me.address, 'dev-3'), { lastSeq: 5, total: parseUnits('2', 18) });
  assert.deepEqual(await client.paid(me.address, 'dev-1'), { lastSeq: 4, total: parseUnits('6', 18) });
});

test(
  'an expired voucher, one signed by someone else, or one for another owner is refused and pays nothing',
  { timeout: 120_000 },
  async () => {
    const me = await owner();
    const expired = await voucherFor(me.address, 1, 1, '1', Math.floor(Date.now() / 1000) - 60);
    assert.equal(await client.claimable(expired, me.address), 0n);
    await rejects(client.claim(me, expired), /expired/);
    await rejects(client.claim(me, await voucherFor(me.address, 1, 1, '1', inAnHour(), Wallet.createRandom())), /not signed by/);
    const other = await owner();
    await rejects(client.claim(other, await voucherFor(me.address, 1, 1)), /another address/);
    // A signature over different values (a range stretched after signing) recovers to some other address.
    const signed = await voucherFor(me.address, 1, 1, '1');
    const forged = { ...signed, ranges: [{ ...signed.ranges[0]!, lastSeq: 9 }] };
    await rejects(client.claim(me, forged), /not signed by/);
    assert.equal((await client.balances(me.address)).synor, 0n);
    assert.deepEqual(await client.paid(me.address, 'dev-1'), { lastSeq: 0, total: 0n });
  },
);

test('a claim without gas money says what to do', { timeout: 120_000 }, async () => {
  const broke = new Wallet(Wallet.createRandom().privateKey, client.provider);
  await rejects(
    client.claim(broke, await voucherFor(broke.address, 1, 1)),
    new RegExp(`${broke.address} has no coins of this chain.*then claim again`),
  );
});

test(
  'a chain with a state file keeps contracts, balances, paid receipts and claim history across restarts',
  { timeout: 120_000 },
  async () => {
    const dir = await tempDir();
    const files = { stateFile: `${dir}/chain-state.json`, deployment: `${dir}/chain.json` };
    const me = Wallet.createRandom();
    const start = async () => {
      const local = await startLocalChain({ stateFile: files.stateFile });
      const deployment = await payoutDeployment(local, { coordinator: coordinator.address, file: files.deployment });
      return { local, deployment, chainClient: await connectChain(deployment.settings, { clock: systemClock }) };
    };
    const first = await start();
    await fundNative(first.local, me.address);
    const wei = parseUnits('3', 18).toString();
    const voucher = await signVoucher(coordinator, first.deployment.settings, {
      owner: me.address,
      amount: wei,
      ranges: [{ deviceId: 'dev-1', firstSeq: 1, lastSeq: 2, amount: wei }],
      expiry: inAnHour(),
    });
    const record = await first.chainClient.claim(me.connect(first.chainClient.provider), voucher);
    first.chainClient.close();
    await first.local.stop();

    const second = await start();
    try {
      assert.equal(second.deployment.payoutAddress, first.deployment.payoutAddress, 'the contracts are still there, not deployed again');
      assert.equal((await second.chainClient.balances(me.address)).synor, BigInt(wei));
      assert.deepEqual(await second.chainClient.paid(me.address, 'dev-1'), { lastSeq: 2, total: BigInt(wei) });
      assert.deepEqual(
        (await second.chainClient.history(me.address)).map((h) => h.txHash),
        [record.txHash],
      );
    } finally {
      second.chainClient.close();
      await second.local.stop();
    }
  },
);

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const connectFails = (bad: ChainSettings, code: string, message: RegExp) =>
  assert.rejects(connectChain(bad, { clock: systemClock, timeoutMs: 2000 }), (error: unknown) => {
    assert.ok(error instanceof WalletError);
    assert.equal(error.code, code);
    assert.match(error.message, message);
    return true;
  });

test('wrong chain settings fail with a sentence that says what to fix', { timeout: 120_000 }, async () => {
  await connectFails({ ...settings, chainId: 1 }, 'WRONG_CHAIN', /serves chain 31337, but the settings expect chain 1/);
  const dead = `http://127.0.0.1:${await freePort()}`;
  await connectFails({ ...settings, rpcUrl: dead }, 'CHAIN_UNREACHABLE', new RegExp(`Cannot reach the chain at ${dead}.*RPC URL`));
  const nowhere = Wallet.createRandom().address;
  await connectFails({ ...settings, payoutAddress: nowhere }, 'NO_CONTRACT', /no payout contract at/);
  await connectFails({ ...settings, tokenAddress: settings.payoutAddress }, 'NO_CONTRACT', /pays in token/);
});
