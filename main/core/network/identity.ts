import { decodeRecord } from '../fs/checksummed-log.js';
import { fileLines } from '../fs/lines.js';
import { LedgerRecordSchema } from '../ledger/record.js';
import type { ClientState, CoordinatorState } from './client-file.js';
import type { Queued } from './outbox.js';

/**
 * Who this device was, as far as its other files tell: its id and owner, the coordinators whose keys it had pinned,
 * and the ids it had for other owners.
 */
export interface RecoveredIdentity extends Pick<ClientState, 'deviceId' | 'owner' | 'coordinators' | 'earlier'> {
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
 * id comes from the damaged file's own text, else the newest queued result if it is newer than the newest epoch in the
 * ledger, else that epoch, else the index; the owner each id earned for comes from the ledger's epochs. Each
 * coordinator in the ledger is pinned again with the key that signed its epochs (those lines were checked against that
 * pin when written); its token is gone, so the device registers again, and the coordinator must still sign with that
 * key (link.ts refuses one that changed). Reads the whole ledger: only done when client.json is unusable.
 */
export async function recoverIdentity(e: IdentityEvidence): Promise<RecoveredIdentity | null> {
  const coordinators: Record<string, CoordinatorState> = {};
  /** Each device id in the ledger and the owner its epochs name (one per id: ClientFile.useOwner). */
  const owners = new Map<string, string>();
  let newest: { at: number; deviceId: string } | null = null;
  for await (const { text } of fileLines(e.ledgerFile)) {
    const decoded = decodeRecord(text, LedgerRecordSchema);
    if (!decoded.ok) continue;
    const record = decoded.value;
    const { url, coordinator, chainId } = record.source;
    coordinators[url] = { coordinator, chainId, token: null, cursor: 0, registeredAt: 0 };
    owners.set(record.signed.epoch.deviceId, record.signed.epoch.owner);
    if (!newest || record.at >= newest.at) newest = { at: record.at, deviceId: record.signed.epoch.deviceId };
  }
  const fromText = e.damagedText?.match(/"deviceId"\s*:\s*"([\w.:-]{1,128})"/)?.[1];
  const lastQueued = [...e.queued].sort((a, b) => b.finishedAt - a.finishedAt)[0];
  const fromQueue: [string | undefined, string] = [lastQueued?.deviceId, 'the results waiting to be sent'];
  const fromLedger: [string | undefined, string] = [newest?.deviceId, 'the earnings history'];
  // A result finished after the newest epoch names the id in use since (a new owner's first work has no epoch yet).
  const queueFirst = lastQueued !== undefined && lastQueued.finishedAt > (newest?.at ?? -Infinity);
  const found: [string | undefined, string][] = [
    [fromText, 'the damaged file'],
    ...(queueFirst ? [fromQueue, fromLedger] : [fromLedger, fromQueue]),
    [e.indexDeviceId, "the earnings history's index"],
  ];
  const [deviceId, from] = found.find(([id]) => id !== undefined) ?? [];
  if (!deviceId || !from) return null;
  // The other ids' epochs stay this machine's, and each id is taken up again when its owner comes back.
  const earlier = [...owners].filter(([id]) => id !== deviceId).map(([id, owner]) => ({ deviceId: id, owner, coordinators }));
  const owner = owners.get(deviceId);
  return { deviceId, ...(owner ? { owner } : {}), coordinators, earlier, from };
}
