import { z } from 'zod';
import { Address } from '../../common/protocol.js';

/** Which network a ledger line came from: its URL, whether it is a devnet, the coordinator that signed and its chain. */
export const LedgerSourceSchema = z
  .object({ url: z.string().max(2048), devnet: z.boolean(), coordinator: Address, chainId: z.number().int().positive() })
  .strict();
export type LedgerSource = z.infer<typeof LedgerSourceSchema>;

/**
 * One network: the coordinator that signs and the chain it pays on. Earnings are kept and shown per network, as only
 * the network's own chain pays them (a URL is not it: the local devnet's changes at every start).
 */
export const networkKey = (source: Pick<LedgerSource, 'coordinator' | 'chainId'>): string =>
  `${source.coordinator.toLowerCase()}@${source.chainId}`;
