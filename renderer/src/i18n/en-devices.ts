/** The Devices page's control of each device and its last hour (t.devices.control). */

import { formatNumber, formatPercent } from '../lib/locale.js';

const number = (value: number, digits = 3): string => formatNumber(value, { maximumSignificantDigits: digits });

/** Operations per second in the unit that reads best: "1.2 GFLOP/s", "850 MFLOP/s". */
export const flops = (perSecond: number): string => {
  const units: [number, string][] = [
    [1e12, 'TFLOP/s'],
    [1e9, 'GFLOP/s'],
    [1e6, 'MFLOP/s'],
    [1e3, 'kFLOP/s'],
  ];
  const [scale, unit] = units.find(([size]) => perSecond >= size) ?? [1, 'FLOP/s'];
  return `${number(perSecond / scale)} ${unit}`;
};

export const deviceControlText = {
  use: 'Use this device',
  fix: 'Turn it on in Devices',
  useLabel: (name: string) => `Use ${name}`,
  share: 'Share of this device',
  shareHelp: 'How much of it the network may use while it works.',
  shareOff: 'Turn the device on to change its share.',
  state: { working: 'Working', ready: 'Ready', off: 'Off', paused: 'Paused' },
  working: 'A task is running on it now.',
  ready: 'It may work: it takes the next task the network sends.',
  undecided: 'Not decided yet: the app checks again in a few seconds.',
  lastHour: 'The last hour',
  noPoints: 'Its figures appear here after about 10 seconds.',
  speed: 'Speed',
  speedNow: (perSecond: string, tasks: number) =>
    `${perSecond} in the last 10 seconds; ${tasks === 1 ? '1 task' : `${number(tasks, 6)} tasks`} finished in the last hour`,
  speedChart: (name: string, peak: string) => `Speed of ${name} over the last hour, up to ${peak}`,
  useTitle: 'Use',
  synor: 'Synor',
  others: 'Other programs',
  useChart: (name: string) => `Use of ${name} over the last hour: Synor's and other programs'`,
  temperature: 'Temperature',
  tempNow: (celsius: number) => `${number(celsius, 3)} °C`,
  tempChart: (name: string, low: number, high: number) =>
    `Temperature of ${name} over the last hour, from ${number(low, 3)} to ${number(high, 3)} °C`,
  notReported: 'Not reported by this device.',
  percent: (value: number | null) => (value === null ? 'not reported' : formatPercent(Math.round(value))),
};
