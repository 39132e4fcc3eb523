import { Contract, type Provider, type TypedDataDomain, type TypedDataField } from 'ethers';
import { VOUCHER_TYPES, payoutDomain, type ChainSettings, type Voucher } from '../../common/wallet.js';
import { PAYOUT_ABI } from '../../core/wallet/chain.js';

/** The coordinator's key, or anything else that signs EIP-712 (an ethers Wallet does). */
export interface VoucherSigner {
  signTypedData(domain: TypedDataDomain, types: Record<string, TypedDataField[]>, value: Record<string, unknown>): Promise<string>;
}

/** Signs receipts [fromReceipt, toReceipt) of `owner`, worth `amount` base units, claimable until `expiry` (unix s). */
export async function signVoucher(
  coordinator: VoucherSigner,
  settings: Pick<ChainSettings, 'chainId' | 'payoutAddress'>,
  voucher: Omit<Voucher, 'signature'>,
): Promise<Voucher> {
  const signature = await coordinator.signTypedData(payoutDomain(settings.chainId, settings.payoutAddress), VOUCHER_TYPES, voucher);
  return { ...voucher, signature };
}

/**
 * The voucher for everything the owner earned and was not paid yet. `rewardsWei` lists every receipt of the owner
 * in the order the coordinator issued them (all devices, zero-value ones included); the voucher numbers receipts
 * by their index in that list and starts where the payout contract says the owner's unpaid receipts begin, so an
 * expired voucher is simply replaced by a larger one. Undefined when nothing is owed.
 */
export async function voucherForUnpaid(options: {
  coordinator: VoucherSigner;
  settings: Pick<ChainSettings, 'chainId' | 'payoutAddress'>;
  provider: Provider;
  owner: string;
  rewardsWei: readonly bigint[];
  /** Unix seconds. */
  expiry: number;
}): Promise<Voucher | undefined> {
  const payout = new Contract(options.settings.payoutAddress, PAYOUT_ABI, options.provider);
  const from = Number(await (payout.getFunction('nextReceipt')(options.owner) as Promise<bigint>));
  const to = options.rewardsWei.length;
  const amount = options.rewardsWei.slice(from).reduce((sum, wei) => sum + wei, 0n);
  // Zero-value receipts alone are not worth a transaction fee; they ride along with the next paid one.
  if (to <= from || amount === 0n) return undefined;
  return signVoucher(options.coordinator, options.settings, {
    owner: options.owner,
    amount: amount.toString(),
    fromReceipt: from,
    toReceipt: to,
    expiry: options.expiry,
  });
}
