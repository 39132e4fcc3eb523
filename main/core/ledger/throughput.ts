import type { Receipt } from '../../common/protocol.js';
import { isCompute } from './totals.js';

/** Tasks a throughput figure needs before it replaces the benchmark; the newest this many count. */
const MIN_TASKS = 5;
const RECENT_TASKS = 200;
/** A gap between tasks longer than this is a pause (sharing off, no work, a restart), not the cost of the next task. */
const PAUSE_MS = 5_000;
/** Tasks after a start or a pause run on warming job hosts and models (measured: 72 against 97 GFLOPS): left out. */
const WARM_UP_TASKS = 3;

/** `receipts` are the ledger's newest, oldest first. */
const newestReceipts = (receipts: readonly Receipt[], deviceId: string, keep: (r: Receipt) => boolean, count: number): Receipt[] => {
  const out: Receipt[] = [];
  for (let i = receipts.length - 1; i >= 0 && out.length < count; i--) {
    const receipt = receipts[i]!;
    if (receipt.deviceId === deviceId && keep(receipt)) out.push(receipt);
  }
  return out;
};

/**
 * Over this device's recent compute tasks: FLOP per ms of sharing (from one task's end to the next one's, so the share
 * in force and the time between tasks are in it, pauses and warm-up tasks are not), and what transfers earn beside
 * compute (per epoch, whose one bandwidth receipt comes after its tasks: the median ratio, so an epoch with a one-off
 * model download does not count).
 */
export function measuredThroughput(
  records: readonly Receipt[],
  deviceId: string,
): { flopsPerMs: number; source: 'tasks'; bandwidthRatio: number } | null {
  const tasks = newestReceipts(records, deviceId, (r) => isCompute(r) && r.durationMs > 0, RECENT_TASKS).reverse();
  let flops = 0;
  let ms = 0;
  let counted = 0;
  let inSession = 0;
  let lastEnd: number | null = null;
  for (const r of tasks) {
    if (lastEnd === null || r.issuedAt - r.durationMs - lastEnd > PAUSE_MS) inSession = 0;
    // Tasks that overlap (a batch, two lanes) count their time once.
    const end: number = lastEnd === null ? r.issuedAt : Math.max(lastEnd, r.issuedAt);
    if (++inSession > WARM_UP_TASKS && lastEnd !== null) {
      ms += end - lastEnd;
      if (r.status !== 'rejected') flops += Number(r.units);
      counted++;
    }
    lastEnd = end;
  }
  if (counted < MIN_TASKS || ms <= 0) return null;
  const ratios: number[] = [];
  let computeWei = 0;
  for (const r of newestReceipts(records, deviceId, (x) => isCompute(x) || x.resourceType === 'bandwidth', RECENT_TASKS).reverse()) {
    if (isCompute(r)) computeWei += Number(r.totalWei);
    else if (computeWei > 0) ratios.push(Number(r.totalWei) / computeWei);
    if (!isCompute(r)) computeWei = 0;
  }
  ratios.sort((a, b) => a - b);
  return { flopsPerMs: flops / ms, source: 'tasks', bandwidthRatio: ratios[Math.floor(ratios.length / 2)] ?? 0 };
}

/** The reputation and uptime on this device's newest receipt; a new device's (50, 0) before any. */
export function latestStanding(records: readonly Receipt[], deviceId: string): { reputation: number; uptimeBp: number } {
  const [last] = newestReceipts(records, deviceId, () => true, 1);
  return { reputation: last?.reputation ?? 50, uptimeBp: last?.uptimeBp ?? 0 };
}
