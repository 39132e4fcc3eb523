import type { TypedDataDomain, TypedDataField } from 'ethers';
import { VOUCHER_TYPES, payoutDomain, type ChainSettings, type Voucher } from '../../common/wallet.js';

/** The coordinator's key, or anything else that signs EIP-712 (an ethers Wallet does). */
export interface VoucherSigner {
  signTypedData(domain: TypedDataDomain, types: Record<string, TypedDataField[]>, value: Record<string, unknown>): Promise<string>;
}

/** Signs a voucher: the receipts in `ranges` of `owner`'s devices are worth `amount` wei, claimable until `expiry` (unix s). */
export async function signVoucher(
  coordinator: VoucherSigner,
  settings: Pick<ChainSettings, 'chainId' | 'payoutAddress'>,
  voucher: Omit<Voucher, 'signature'>,
): Promise<Voucher> {
  const signature = await coordinator.signTypedData(payoutDomain(settings.chainId, settings.payoutAddress), VOUCHER_TYPES, voucher);
  return { ...voucher, signature };
}
