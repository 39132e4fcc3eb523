import { z } from 'zod';
import { SignedEpochSchema } from '../../common/protocol.js';
import { LedgerSourceSchema, type LedgerSource } from './source.js';

/** A line of the ledger: an epoch whose coordinator signature was verified before it was written. */
export const LedgerRecordSchema = z
  .object({ kind: z.literal('epoch'), at: z.number().int(), source: LedgerSourceSchema, signed: SignedEpochSchema })
  .strict();
export type LedgerRecord = z.infer<typeof LedgerRecordSchema>;

/** The coordinator acknowledged a result; its reward is pending until its receipt comes (kept in the index only). */
export interface Submitted {
  at: number;
  source: Pick<LedgerSource, 'url' | 'devnet' | 'coordinator' | 'chainId'>;
  taskId: string;
  deviceId: string;
  estimateWei: bigint;
}
