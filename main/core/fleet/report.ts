import { FLEET_REPORT_DAYS, type MemberReport } from '../../common/fleet.js';
import type { EarningsQuery, EarningsSummary, Estimates } from '../../common/network.js';
import type { AgentState } from '../../common/state.js';

/** What this machine tells its fleet owner: the row of a fleet view, from the agent's own state. Nothing secret. */
export interface ReportSource {
  state(): AgentState;
  earnings(query: EarningsQuery): EarningsSummary | null;
  estimates(days: number): Estimates | null;
  name: string;
  now(): number;
}

/** Local midnight `back` days before today, as the Earnings page cuts days. */
const startOfDay = (now: number, back = 0): number => {
  const day = new Date(now);
  day.setDate(day.getDate() - back);
  return day.setHours(0, 0, 0, 0);
};

const cap = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

export function memberReport(source: ReportSource): MemberReport {
  const state = source.state();
  // The network in use's figures only, as this machine's own dashboard shows them.
  const network = state.work.networks?.find((entry) => entry.current)?.key;
  const mine = network === undefined ? {} : { network };
  const now = source.now();
  const today = source.earnings({ fromMs: startOfDay(now), ...mine });
  const days = source.earnings({
    fromMs: startOfDay(now, FLEET_REPORT_DAYS - 1),
    utcOffsetMinutes: -new Date(now).getTimezoneOffset(),
    ...mine,
  });
  const temperatures = [state.signals?.cpu.tempC ?? null, ...(state.signals?.gpus ?? []).map((gpu) => gpu.tempC)].filter(
    (reading): reading is number => reading !== null,
  );
  return {
    name: cap(source.name, 120),
    version: cap(state.version, 40),
    sharing: state.sharing,
    status: { code: state.status.code, reason: cap(state.status.reason, 500) },
    devices: (state.hardware?.devices ?? []).slice(0, 64).map((device) => ({ name: cap(device.name, 200), kind: device.type.kind })),
    perHourWei: source.estimates(7)?.synor.perHourWei ?? null,
    today: today?.total ?? null,
    total: state.work.earned,
    days: (days?.byDay ?? []).slice(-FLEET_REPORT_DAYS),
    temperatureC: temperatures.length === 0 ? null : Math.max(...temperatures),
  };
}
