import { ResourceTypeSchema, type Epoch, type EpochSum, type Receipt } from '../../common/protocol.js';
import { leafHash, merkleRoot } from './merkle.js';

/**
 * An epoch's unsigned statement, built from its receipts (in seq order, one device): the coordinator signs it, and a
 * device rebuilds it from the receipts it was sent and compares, so the two ends share one definition.
 */
export function epochOf(receipts: readonly Receipt[], issuedAt: number): Epoch {
  const first = receipts[0];
  if (!first) throw new Error('epochOf: no receipts');
  const sums = new Map<string, { receipts: number; rejected: number; units: bigint; totalWei: bigint }>();
  let totalWei = 0n;
  for (const r of receipts) {
    const s = sums.get(r.resourceType) ?? { receipts: 0, rejected: 0, units: 0n, totalWei: 0n };
    s.receipts++;
    if (r.status === 'rejected') s.rejected++;
    s.units += BigInt(r.units);
    s.totalWei += BigInt(r.totalWei);
    totalWei += BigInt(r.totalWei);
    sums.set(r.resourceType, s);
  }
  return {
    deviceId: first.deviceId,
    owner: first.owner,
    firstSeq: first.seq,
    lastSeq: (receipts.at(-1) ?? first).seq,
    root: merkleRoot(receipts.map(leafHash)),
    openedAt: first.issuedAt,
    closedAt: (receipts.at(-1) ?? first).issuedAt,
    sums: ResourceTypeSchema.options.flatMap((resourceType): EpochSum[] => {
      const s = sums.get(resourceType);
      return s ? [{ resourceType, receipts: s.receipts, rejected: s.rejected, units: String(s.units), totalWei: String(s.totalWei) }] : [];
    }),
    totalWei: String(totalWei),
    issuedAt,
  };
}
