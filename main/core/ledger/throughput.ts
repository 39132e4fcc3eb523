import type { Receipt } from '../../common/protocol.js';

/** Tasks a throughput figure needs before it replaces the benchmark; the newest this many count. */
const MIN_TASKS = 5;
const RECENT_TASKS = 200;

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
 * Over this device's recent paid compute tasks: FLOP per ms (work over wall time, so the share in force is included),
 * and what a task's transfer earns beside its compute (the median ratio, so a one-off model download does not count).
 */
export function measuredThroughput(records: readonly Receipt[], deviceId: string): { flopsPerMs: number; source: 'tasks'; bandwidthRatio: number } | null {
  const tasks = newestReceipts(records, deviceId, (r) => (r.resourceType === 'cpu' || r.resourceType === 'gpu') && r.status !== 'rejected' && r.durationMs > 0, RECENT_TASKS);
  if (tasks.length < MIN_TASKS) return null;
  const flops = tasks.reduce((sum, r) => sum + Number(r.units), 0);
  const ms = tasks.reduce((sum, r) => sum + r.durationMs, 0);
  const computeWei = new Map(tasks.map((r) => [r.taskId, Number(r.totalWei)]));
  const ratios = newestReceipts(records, deviceId, (r) => r.resourceType === 'bandwidth' && computeWei.has(r.taskId), RECENT_TASKS)
    .map((r) => Number(r.totalWei) / Math.max(1, computeWei.get(r.taskId)!))
    .sort((a, b) => a - b);
  return { flopsPerMs: flops / ms, source: 'tasks', bandwidthRatio: ratios[Math.floor(ratios.length / 2)] ?? 0 };
}

/** The reputation and uptime on this device's newest receipt; a new device's (50, 0) before any. */
export function latestStanding(records: readonly Receipt[], deviceId: string): { reputation: number; uptimeBp: number } {
  const [last] = newestReceipts(records, deviceId, () => true, 1);
  return { reputation: last?.reputation ?? 50, uptimeBp: last?.uptimeBp ?? 0 };
}
