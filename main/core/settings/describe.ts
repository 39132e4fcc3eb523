import { formatAmount } from '../../common/money.js';
import { keysOf } from '../../common/keys.js';
import type { Settings, TellKind } from '../../common/settings.js';

/** The activity log's sentences for a settings change: what changed, from what to what, in the words of the UI. */

const percent = (value: number | null): string => (value === null ? 'off' : `${value} %`);
const onOff = (value: boolean): string => (value ? 'on' : 'off');
const changed = (name: string, from: string, to: string): string => `${name} changed from ${from} to ${to}`;
const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

const TELL_TOPICS: Record<TellKind, string> = {
  pause: 'pauses for battery, heat or your schedule',
  wallet: 'the wallet',
  claim: 'earnings to claim',
  device: 'graphics cards',
  network: 'the network',
  update: 'updates',
  fleet: 'machines of your fleet',
};

type Describer<K extends keyof Settings> = (before: Settings[K], next: Settings[K]) => string[];

/** Compares two values of one group field by field; each field has its label and formatter. */
function fields<T extends object>(labels: { [F in keyof T]?: [string, (value: T[F]) => string] }): (before: T, next: T) => string[] {
  return (before, next) =>
    // eslint-disable-next-line @typescript-eslint/consistent-type-assertions -- labels' keys are fields of T, by its type
    (Object.keys(labels) as (keyof T)[])
      .filter((key) => JSON.stringify(before[key]) !== JSON.stringify(next[key]))
      .map((key) => {
        // eslint-disable-next-line @typescript-eslint/no-non-null-assertion -- key is one of labels' own keys
        const [name, show] = labels[key]!;
        return changed(name, show(before[key]), show(next[key]));
      });
}

const gpuFields = fields<Settings['gpuDefaults']>({
  enabled: ['Graphics card sharing', onOff],
  sharePercent: ['GPU share', percent],
  vramLimitMiB: ['Video memory limit', (v) => (v === null ? 'no limit' : `${v} MiB`)],
  maxTempC: ['Graphics card temperature limit', (v) => `${v} °C`],
});

const DESCRIBE: { [K in keyof Settings]?: Describer<K> } = {
  cpuEnabled: (a, b) => [changed('Use the processor', onOff(a), onOff(b))],
  cpuSharePercent: (a, b) => [changed('CPU share', percent(a), percent(b))],
  memorySharePercent: (a, b) => [changed('Memory share', percent(a), percent(b))],
  diskBudgetGiB: (a, b) => [changed('Disk space for downloads', `${a} GiB`, `${b} GiB`)],
  receiptDetailDays: (a, b) => [changed('Days of per-task receipts kept', plural(a, 'day', 'days'), plural(b, 'day', 'days'))],
  gpuDefaults: gpuFields,
  gpus: (a, b) => {
    const ids = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...ids].flatMap((id) =>
      a[id] && b[id] ? gpuFields(a[id], b[id]) : [`Settings for one graphics card ${b[id] ? 'added' : 'removed'}`],
    );
  },
  idleOnly: fields<Settings['idleOnly']>({
    enabled: ['"Only when I am away"', onOff],
    minutes: ['Minutes away before sharing', (v) => plural(v, 'minute', 'minutes')],
  }),
  pauseWhenUserCpuAbovePercent: (a, b) => [changed('Pause when your programs use more CPU than', percent(a), percent(b))],
  power: fields<Settings['power']>({
    pauseOnBattery: ['Pause on battery', onOff],
    minBatteryPercent: ['On battery, pause below', percent],
    chargingOnly: ['Only while plugged in', onOff],
    mode: ['Power mode', (v) => v],
  }),
  thermal: fields<Settings['thermal']>({
    maxCpuC: ['CPU temperature limit', (v) => `${v} °C`],
    hysteresisC: ['Resume after cooling by', (v) => `${v} °C`],
  }),
  schedule: (a, b) =>
    a.enabled !== b.enabled ? [changed('"Only at these times"', onOff(a.enabled), onOff(b.enabled))] : ['Weekly schedule changed'],
  pausedUntil: (_, b) => [b === null ? 'Pause ended: sharing may resume' : `Paused until ${new Date(b).toLocaleString()}`],
  pauseWhileApps: (a, b) => [
    `Programs that pause sharing: ${b.length === 0 ? 'none' : b.join(', ')} (was ${a.length === 0 ? 'none' : a.join(', ')})`,
  ],
  pauseWhileFullscreen: (a, b) => [changed('Pause while a program is full screen', onOff(a), onOff(b))],
  network: fields<Settings['network']>({
    coordinatorUrl: ['Network address', (v) => v ?? 'the local devnet'],
    tariffPerKwh: ['Electricity price', (v) => `$${v} per kWh`],
    usdPerSynor: ['SYNOR price', (v) => (v === null ? 'not set' : `$${v}`)],
  }),
  chain: (_, b) => [b === null ? 'Payout chain: the one the network names' : `Payout chain set to ${b.rpcUrl}`],
  startAtLogin: (a, b) => [changed('Start with my computer', onOff(a), onOff(b))],
  notifications: (a, b) =>
    keysOf(TELL_TOPICS)
      .filter((kind) => a.includes(kind) !== b.includes(kind))
      .map((kind) => `Notifications about ${TELL_TOPICS[kind]} turned ${onOff(b.includes(kind))}`),
  autoClaim: fields<Settings['autoClaim']>({
    enabled: ['Automatic claims', onOff],
    thresholdWei: ['Automatic claim threshold', (v) => `${formatAmount(BigInt(v))} SYNOR`],
  }),
  fleetAlerts: fields<Settings['fleetAlerts']>({
    offlineMinutes: ['Tell when a machine of the fleet is offline for', (v) => plural(v, 'minute', 'minutes')],
    notEarningMinutes: ['Tell when a machine of the fleet shares without earning for', (v) => plural(v, 'minute', 'minutes')],
    maxTempC: ['Tell when a machine of the fleet is hotter than', (v) => `${v} °C`],
  }),
};

/** One sentence per changed setting; the share toggle has its own entry ("Sharing turned on"). */
export function describeSettingsChange(before: Settings, next: Settings): string[] {
  return (
    // eslint-disable-next-line @typescript-eslint/consistent-type-assertions -- DESCRIBE's keys are settings, by its type
    (Object.keys(DESCRIBE) as (keyof Settings)[])
      .filter((key) => JSON.stringify(before[key]) !== JSON.stringify(next[key]))
      // eslint-disable-next-line @typescript-eslint/consistent-type-assertions -- DESCRIBE[key] compares that key's values; TypeScript cannot tie a mapped type's entry to its key
      .flatMap((key) => (DESCRIBE[key] as Describer<typeof key>)(before[key], next[key]))
  );
}
