import { decodeRecord } from '../fs/checksummed-log.js';
import { fileLines } from '../fs/lines.js';
import { LedgerRecordSchema } from '../ledger/record.js';
import type { CoordinatorState } from './client-file.js';
import type { Queued } from './outbox.js';

/** Who this device was, as far as its other files tell: its id, and the coordinators whose keys it had pinned. */
export interface RecoveredIdentity {
  deviceId: string;
  coordinators: Record<string, CoordinatorState>;
  /** Where the id was found, for the log. */
  from: string;
}

export interface IdentityEvidence {
  /** The damaged client.json's text, if there was one. */
  damagedText?: string | undefined;
  ledgerFile: string;
  queued: readonly Queued[];
  /** The newest receipt's device in the ledger's index. */
  indexDeviceId?: string | undefined;
}

/**
 * Rebuilds what client.json held from what survives, so a lost or damaged file never makes this computer a new device:
 * a new id would leave every signed epoch of its history "for another device" and every queued result "too late". The
 * id comes from the damaged file's own text, else the newest epoch in the ledger, else the newest queued result, else
 * the index. Each coordinator in the ledger is pinned again with the key that signed its epochs (those lines were checked
 * against that pin when written); its token is gone, so the device registers again, and the coordinator must still sign
 * with that key (link.ts refuses one that changed). Reads the whole ledger: only done when client.json is unusable.
 */
export async function recoverIdentity(e: IdentityEvidence): Promise<RecoveredIdentity | null> {
  const coordinators: Record<string, CoordinatorState> = {};
  let newest: { at: number; deviceId: string } | null = null;
  for await (const { text } of fileLines(e.ledgerFile)) {
    const decoded = decodeRecord(text, LedgerRecordSchema);
    if (!decoded.ok) continue;
    const record = decoded.value;
    const { url, coordinator, chainId } = record.source;
    coordinators[url] = { coordinator, chainId, token: null, cursor: 0, registeredAt: 0 };
    if (!newest || record.at >= newest.at) newest = { at: record.at, deviceId: record.signed.epoch.deviceId };
  }
  const fromText = e.damagedText?.match(/"deviceId"\s*:\s*"([\w.:-]{1,128})"/)?.[1];
  const fromQueue = [...e.queued].sort((a, b) => b.finishedAt - a.finishedAt)[0]?.deviceId;
  const found: [string | undefined, string][] = [
    [fromText, 'the damaged file'],
    [newest?.deviceId, 'the earnings history'],
    [fromQueue, 'the results waiting to be sent'],
    [e.indexDeviceId, "the earnings history's index"],
  ];
  const [deviceId, from] = found.find(([id]) => id !== undefined) ?? [];
  return deviceId && from ? { deviceId, coordinators, from } : null;
}
