import { z } from 'zod';
import { ReceiptSchema, SignedEpochSchema, type Receipt } from '../../common/protocol.js';
import { leafHash, merkleProof, verifyMerkleProof } from '../receipts/merkle.js';
import { epochProblem, receiptProblem, splitProblem, type ReceiptExpectation, type ReceiptProblem } from '../receipts/receipts.js';
import { receiptsOf, type ReceiptDetail } from './detail.js';
import { LedgerSourceSchema } from './source.js';

/**
 * A receipt proven on its own: the receipt, its place in its epoch's Merkle tree and the path to the root, and the
 * epoch its coordinator signed. Anyone with the coordinator's address can check it offline (`proofProblem`, or by
 * hand from docs/protocol.md, "Epochs").
 */
export const ReceiptProofSchema = z
  .object({
    receipt: ReceiptSchema,
    index: z.number().int().nonnegative(),
    path: z.array(z.string().regex(/^0x[0-9a-f]{64}$/)).max(12),
    signed: SignedEpochSchema,
    source: LedgerSourceSchema,
  })
  .strict();
export type ReceiptProof = z.infer<typeof ReceiptProofSchema>;

/** The proof of the receipt in the detail window with task or receipt id `id`, or null. */
export async function proveReceipt(detail: ReceiptDetail, id: string): Promise<ReceiptProof | null> {
  const match = (r: Receipt): boolean => r.taskId === id || r.receiptId === id;
  const line = await detail.lineWith(id, (l) => receiptsOf(l).some(match));
  if (!line) return null;
  const receipts = receiptsOf(line);
  const index = receipts.findIndex(match);
  const receipt = receipts[index];
  if (!receipt) return null;
  return { receipt, index, path: merkleProof(receipts.map(leafHash), index), signed: line.signed, source: line.source };
}

/** Why a proof does not prove its receipt, or null: the epoch's signature, the receipt's place, its split and path. */
export function proofProblem(proof: ReceiptProof, expect: ReceiptExpectation): ReceiptProblem | null {
  const { receipt: r, signed } = proof;
  const e = signed.epoch;
  const signedBy = epochProblem(signed, expect);
  if (signedBy) return signedBy;
  if (r.seq !== e.firstSeq + proof.index || r.deviceId !== e.deviceId || r.owner.toLowerCase() !== e.owner.toLowerCase()) {
    return receiptProblem(`receipt ${r.receiptId}: not at place ${proof.index} of epoch ${e.firstSeq}–${e.lastSeq}`);
  }
  const split = splitProblem(r);
  if (split) return split;
  const size = e.lastSeq - e.firstSeq + 1;
  return verifyMerkleProof(leafHash(r), proof.index, size, proof.path, e.root)
    ? null
    : receiptProblem(`receipt ${r.receiptId}: its path does not lead to the epoch's signed root`);
}
