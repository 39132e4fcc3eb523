import type { HardwareSnapshot } from '../common/hardware.js';
import type { Estimates } from '../common/network.js';
import type { Settings } from '../common/settings.js';
import type { Connected } from './contribution-connect.js';
import { scheduledHoursPerDay, typicalPowerWatts } from './economics/estimator.js';
import type { EarningsMeter } from './economics/meter.js';
import { deviceInfo } from './network/device-info.js';
import { NetworkError } from './network/http.js';
import { memberEpochs } from './network/member-epochs.js';
import { effectiveShare } from './policy/share.js';
import type { ClaimContext } from './wallet/claim-check.js';

/** What a voucher is checked against before a claim: this device's own verified receipts (synced first). */
export async function claimContext(connected: Connected | null): Promise<ClaimContext> {
  if (!connected) throw new Error('not connected to a network');
  const { client, ledger } = connected.service;
  const { owner } = connected;
  // Receipts the coordinator signed since the last sync may be in the voucher. A network failure is on the status line
  // already (link.failed); the voucher is then checked against the receipts kept so far. Anything else is a bug.
  await client.syncReceipts().catch((error: unknown) => {
    if (!(error instanceof NetworkError)) throw error;
  });
  const { coordinator, chainId } = await client.pinned();
  const epochs: ClaimContext['epochs'][number][] = [];
  for await (const r of ledger.records()) {
    if (r.source.coordinator.toLowerCase() !== coordinator.toLowerCase() || r.signed.epoch.deviceId !== client.deviceId) continue;
    const { deviceId, firstSeq, lastSeq, totalWei } = r.signed.epoch;
    epochs.push({ deviceId, firstSeq, lastSeq, totalWei });
  }
  // Members earning to this wallet: their signed epochs come from the coordinator, checked as this device's own.
  const others = (id: string, after: number) => memberEpochs(client, { chainId, coordinator, owner }, id, after);
  return { deviceId: client.deviceId, coordinator, epochs, others };
}

/** What this machine is estimated to earn, from the seed's table and what it measured over `days`. */
export function estimates(
  connected: Connected,
  machine: { snapshot: HardwareSnapshot; settings: Settings; utcOffsetMinutes: number; measure: EarningsMeter },
  days: number,
): Estimates {
  const { snapshot, settings } = machine;
  const { registered } = connected;
  const info = deviceInfo(snapshot, settings, machine.utcOffsetMinutes, registered);
  return connected.service.estimates({
    device: info.deviceType,
    scheduledHoursPerDay: scheduledHoursPerDay(settings.schedule.enabled ? settings.schedule.week : null),
    sharePercent: effectiveShare(settings, registered) * 100,
    powerWatts: typicalPowerWatts(info.deviceType),
    settings: settings.network,
    days,
    meter: machine.measure.window(),
  });
}
