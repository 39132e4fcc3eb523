import { readFileSync } from 'node:fs';
import type { RewardWei } from '../../main/core/economics/rewards.js';

export interface ReceiptVector extends RewardWei {
  name: string;
  resourceType: 'gpu' | 'cpu' | 'bandwidth' | 'availability';
  units: string;
  reputation: number;
  uptimeBp: number;
}

/** The conformance vectors of docs/protocol.md, made by an independent exact-rational reference (test/fixtures/receipt-vectors.py). */
export const RECEIPT_VECTORS = (
  JSON.parse(readFileSync(new URL('../../docs/receipt-vectors.json', import.meta.url), 'utf8')) as { vectors: ReceiptVector[] }
).vectors;
