import { parseUnits } from 'ethers';
import type { ChainSettings } from '../../main/common/wallet.js';
import { deployPayout, startLocalChain, type LocalChain } from '../../main/devnet/chain/local-chain.js';

/**
 * A local chain (anvil) with the SYNOR token and a payout contract that pays the vouchers `coordinator` signs,
 * holding `fundSynor` SYNOR to pay them from (none: the deployment's default). Stop it with `chain.stop()`.
 */
export async function startPayoutChain(coordinator: string, fundSynor?: string): Promise<{ chain: LocalChain; settings: ChainSettings }> {
  const chain = await startLocalChain();
  const fund = fundSynor === undefined ? {} : { fund: parseUnits(fundSynor, 18) };
  const { settings } = await deployPayout(chain, { coordinator, ...fund });
  return { chain, settings };
}
