/** The CLI's human output: plain sentences and aligned lines; amounts by the app's one rule (common/money.ts). */
import type { DeviceType, HardwareSnapshot } from '../common/hardware.js';
import { formatAmount } from '../common/money.js';
import type { EarningsBucket, EarningsSummary } from '../common/network.js';
import type { AgentState } from '../common/state.js';

/** An amount in wei as SYNOR in 6 significant digits. */
const synor = (wei: string): string => `${formatAmount(BigInt(wei))} SYNOR`;

const bucket = (b: EarningsBucket): string =>
  `${synor(b.confirmedWei)} confirmed, ${synor(b.pendingWei)} pending (${b.receipts} receipt${b.receipts === 1 ? '' : 's'})`;

/** Label and value lines, the values in one column. */
const lines = (rows: [string, string][]): string => {
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${`${label}:`.padEnd(width + 2)}${value}`).join('\n');
};

export function showState(state: AgentState): string {
  const { work } = state;
  const rows: [string, string][] = [
    ['Sharing', state.sharing ? 'on' : 'off'],
    ['Status', state.status.reason],
  ];
  if (work.blocker) rows.push(['To earn', work.blocker]);
  if (work.network) rows.push(['Network', work.network.message]);
  rows.push(['Tasks', String(work.tasks.length)]);
  if (work.earned) rows.push(['Earned', bucket(work.earned)]);
  rows.push(['Version', state.version]);
  return lines(rows);
}

export function showEarnings(summary: EarningsSummary): string {
  const rows: [string, string][] = [['Total', bucket(summary.total)]];
  if (summary.rejected > 0)
    rows.push(['Rejected', `${summary.rejected} result${summary.rejected === 1 ? '' : 's'} failed verification and earned nothing`]);
  // The last week is what a glance needs; --json has every day.
  for (const day of summary.byDay.slice(-7)) rows.push([day.key, bucket(day)]);
  for (const device of summary.byDevice) rows.push([`Device ${device.key}`, bucket(device)]);
  return lines(rows);
}

const KIND: Record<DeviceType['kind'], string> = {
  DataCenterGpu: 'data-center GPU',
  ConsumerGpu: 'GPU',
  AppleSilicon: 'Apple silicon',
  Cpu: 'CPU',
};

export function showDevices(snapshot: HardwareSnapshot | null): string {
  if (snapshot === null) return 'The agent is still detecting this computer’s devices. Try again in a moment.';
  if (snapshot.devices.length === 0) return 'No device was found that can share work.';
  return snapshot.devices
    .map((device) => {
      const usable = device.unusable.length === 0 ? 'usable' : `not usable: ${device.unusable.map((reason) => reason.message).join('; ')}`;
      const speed = device.capabilities.fp32Gflops === null ? '' : `, ${Math.round(device.capabilities.fp32Gflops)} GFLOPS fp32`;
      return `${device.name} (${KIND[device.type.kind]}${speed}): ${usable}`;
    })
    .join('\n');
}

/** A settings value as one line: plain for scalars, JSON for groups and lists. */
export const showValue = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));

/** Every setting as `path = value`, groups opened one level per dot. */
export function showSettings(settings: object, prefix = ''): string {
  return Object.entries(settings)
    .map(([key, value]: [string, unknown]) =>
      value !== null && typeof value === 'object' && !Array.isArray(value)
        ? showSettings(value, `${prefix}${key}.`)
        : `${prefix}${key} = ${showValue(value)}`,
    )
    .filter((line) => line !== '')
    .join('\n');
}
