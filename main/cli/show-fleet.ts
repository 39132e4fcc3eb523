/** `synor fleet`'s human output: one block per machine, amounts by the app's one rule (common/money.ts). */
import type { CommandResult } from '../common/contract.js';
import type { BrokerView, FleetStatus, MemberView, PairingOffer } from '../common/fleet.js';
import { formatAmount } from '../common/money.js';
import { bucketWei, type EarningsBucket } from '../common/network.js';

const synor = (bucket: EarningsBucket | null): string => (bucket === null ? 'unknown' : `${formatAmount(bucketWei(bucket))} SYNOR`);

const when = (ms: number | null): string => (ms === null ? 'never' : new Date(ms).toLocaleString());

export function showMember(peer: MemberView): string {
  const role = peer.role === 'member' ? 'member' : 'owner of this machine';
  const lines = [`${peer.name} (${role}, id ${peer.id.slice(0, 12)}): ${peer.state}: ${peer.reason}`];
  const report = peer.report;
  if (report) {
    lines.push(
      `  sharing ${report.sharing ? 'on' : 'off'}; ${report.status.reason}`,
      `  devices: ${report.devices.map((device) => device.name).join(', ') || 'none found'}`,
      `  earned today ${synor(report.today)}, in all ${synor(report.total)}` +
        (report.perHourWei ? `; about ${formatAmount(BigInt(report.perHourWei.mid))} SYNOR an hour of sharing` : ''),
      `  temperature ${report.temperatureC === null ? 'unknown' : `${Math.round(report.temperatureC)} °C`}; version ${report.version}`,
    );
  }
  if (peer.address) lines.push(`  address ${peer.address}; last seen ${when(peer.lastSeen)}`);
  return lines.join('\n');
}

/** The broker line, as the Fleet page's broker card says it. */
function showBroker(broker: BrokerView): string {
  if (broker.state === 'connecting') return `Message broker: connecting to ${broker.host}…`;
  if (broker.state === 'connected') return `Message broker: connected to ${broker.host}.`;
  return (
    `Message broker: can't reach ${broker.host}${broker.reason === null ? '' : ` (${broker.reason})`}. Check the address and that ` +
    'the broker is running; this machine tries again every 10 seconds. Machines on this network still reach each other directly.'
  );
}

export function showFleet(status: FleetStatus): string {
  const head = status.enabled
    ? `Fleet pairing is on. This machine: ${status.self.name}, reached at ${status.addresses.join(', ')}.`
    : 'Fleet pairing is off. Turn it on with `synor settings set fleet.enabled=true`.';
  const lines = [head, `Key fingerprint: ${status.self.fingerprint}`];
  if (status.broker) lines.push(showBroker(status.broker));
  lines.push(...(status.peers.length === 0 ? ['No machine is paired with this one.'] : status.peers.map(showMember)));
  if (status.nearby.length > 0)
    lines.push('Found on this network:', ...status.nearby.map((found) => `  ${found.name} at ${found.address}`));
  return lines.join('\n');
}

export const showOffer = (offer: PairingOffer): string =>
  [
    `Pairing code: ${offer.code}`,
    `It works once, until ${new Date(offer.expiresAt).toLocaleTimeString()}. On the machine that joins, run:`,
    ...offer.addresses.map((address) => `  synor fleet join ${address} ${offer.code}`),
  ].join('\n');

export const showCommandResults = ({ results }: CommandResult<'fleetCommand'>): string =>
  results.length === 0
    ? 'No machine is a member of this fleet.'
    : results
        .map((result) => `${result.name}: ${result.ok ? 'done' : `not done: ${result.error?.message ?? 'no reason given'}`}`)
        .join('\n');
