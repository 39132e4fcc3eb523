import { z } from 'zod';
import { Address } from '../../common/protocol.js';

/** Which network a ledger line came from: its URL, whether it is a devnet, and the coordinator that signed. */
export const LedgerSourceSchema = z.object({ url: z.string().max(2048), devnet: z.boolean(), coordinator: Address }).strict();
export type LedgerSource = z.infer<typeof LedgerSourceSchema>;
