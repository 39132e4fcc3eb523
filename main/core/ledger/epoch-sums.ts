import type { ResourceType } from '../../common/protocol.js';

/** One time slot's sums: the unit the ledger's totals are kept in. */
export interface Slot {
  wei: bigint;
  /** Work units as a float: only the hours online (availability, in ms) are read from it, and those stay exact. */
  units: number;
  receipts: number;
  rejected: number;
}

/** Which sums a series keeps: per network (`networkKey`: coordinator and chain), device and resource. */
export interface SeriesInfo {
  network: string;
  devnet: boolean;
  deviceId: string;
  resource: ResourceType;
}

/** Which slots `eachSlot` visits: of one kind of network or one network, in a time range. */
export interface SlotQuery {
  devnet?: boolean | undefined;
  network?: string | undefined;
  fromMs?: number | undefined;
  toMs?: number | undefined;
}

/** A result the coordinator acknowledged; its estimate counts as pending until its receipt comes. */
export interface Pending {
  at: number;
  /** `networkKey` of the coordinator that acknowledged it. */
  network: string;
  devnet: boolean;
  deviceId: string;
  estimateWei: bigint;
  url: string;
}
/** A result the coordinator acknowledged whose receipt has not come yet. */
export type PendingResult = Pending & { coordinator: string; taskId: string };

/** What `LedgerTotals.sums` returns. */
export interface EpochSums {
  series: Map<string, Map<number, Slot>>;
  seqs: Map<string, string>;
}

/** Whether two `sums()` are of the same epochs. */
export function sameSums(a: EpochSums, b: EpochSums): boolean {
  if (a.series.size !== b.series.size || a.seqs.size !== b.seqs.size) return false;
  for (const [key, seqs] of a.seqs) if (b.seqs.get(key) !== seqs) return false;
  for (const [key, quarters] of a.series) {
    const other = b.series.get(key);
    if (!other || other.size !== quarters.size) return false;
    for (const [q, s] of quarters) {
      const o = other.get(q);
      if (!o || o.wei !== s.wei || o.units !== s.units || o.receipts !== s.receipts || o.rejected !== s.rejected) return false;
    }
  }
  return true;
}
