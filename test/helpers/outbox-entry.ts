import type { OutboxEntry } from '../../main/core/network/outbox.js';

/** A finished result as the outbox keeps it: one output `Y` (dtype and shape as the tests need), cheap accounting. */
export const outboxEntry = (taskId: string, Y: { dtype: 'uint8' | 'float32'; shape: number[]; data: Uint8Array }): OutboxEntry => ({
  version: 2,
  url: 'http://127.0.0.1:1/',
  deviceId: 'dev-1',
  leaseId: `lease-${taskId}`,
  result: { taskId, outputs: { Y }, accounting: { wallMs: 1, cpuMs: 1, peakRssBytes: 1, device: 'cpu/cpu', operations: 2 } },
  estimateWei: '5',
  finishedAt: 1,
});
