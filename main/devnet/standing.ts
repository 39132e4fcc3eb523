import { z } from 'zod';
import type { AvailabilitySchedule } from '../common/protocol.js';

/**
 * A device's standing with the devnet coordinator: its reputation (0–100) and its uptime (basis points), the two
 * numbers that scale every receipt (docs/protocol.md, "Reputation and uptime"). Pure functions of what is stored.
 */

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Uptime is measured over the trailing week against the hours the device promised. */
export const UPTIME_WINDOW_MS = 7 * DAY_MS;
/** A rejected result lowers reputation for 30 days. */
const REJECTION_MEMORY_MS = 30 * DAY_MS;
const REJECTION_PENALTY = 10;
/** Days of verified work at which a device is halfway from 50 to 100. */
const HALFWAY_DAYS = 30;

export const StandingSchema = z.object({
  /** UTC days (YYYY-MM-DD) with at least one verified result: the count, and the last one counted. */
  goodDays: z.number().int().nonnegative(),
  lastGoodDay: z.string().nullable(),
  /** When results were rejected, within the last 30 days. */
  rejections: z.array(z.number().int()),
  /** Online milliseconds per UTC hour (hour number since the epoch), within the uptime window. */
  onlineByHour: z.record(z.string(), z.number().nonnegative()),
});
export type Standing = z.infer<typeof StandingSchema>;

export const newStanding = (): Standing => ({ goodDays: 0, lastGoodDay: null, rejections: [], onlineByHour: {} });

/** Results rejected in the last 30 days. */
export const recentRejections = (s: Standing, now: number): number => s.rejections.filter((at) => now - at < REJECTION_MEMORY_MS).length;

/** 50 + 50·d/(d + 30) for d days of verified work, less 10 per rejection in the last 30 days: slow to earn, quick to lose. */
export function reputation(s: Standing, now: number): number {
  const earned = Math.floor((50 * s.goodDays) / (s.goodDays + HALFWAY_DAYS));
  return Math.max(0, Math.min(100, 50 + earned - REJECTION_PENALTY * recentRejections(s, now)));
}

/** A verified result counts its UTC day once; a rejected one is remembered for 30 days. */
export function recordOutcome(s: Standing, verified: boolean, now: number): Standing {
  if (!verified) return { ...s, rejections: [...s.rejections.filter((at) => now - at < REJECTION_MEMORY_MS), now] };
  const day = new Date(now).toISOString().slice(0, 10);
  return day === s.lastGoodDay ? s : { ...s, goodDays: s.goodDays + 1, lastGoodDay: day };
}

/** Adds online time to the current hour and forgets hours that left the window. */
export function recordOnline(s: Standing, ms: number, now: number): Standing {
  const hour = Math.floor(now / HOUR_MS);
  const oldest = Math.floor((now - UPTIME_WINDOW_MS) / HOUR_MS);
  const kept = Object.entries(s.onlineByHour).filter(([h]) => Number(h) >= oldest);
  const onlineByHour = Object.fromEntries(kept);
  onlineByHour[hour] = Math.min(HOUR_MS, (onlineByHour[hour] ?? 0) + ms);
  return { ...s, onlineByHour };
}

/** Milliseconds of the trailing window that the schedule promised (UTC hour ranges, or all of it when `always`). */
export function promisedMs(schedule: AvailabilitySchedule, now: number): number {
  if (schedule.always || !schedule.hours) return UPTIME_WINDOW_MS;
  const start = now - UPTIME_WINDOW_MS;
  let total = 0;
  for (let h = Math.floor(start / HOUR_MS) * HOUR_MS; h < now; h += HOUR_MS) {
    const hourOfDay = new Date(h).getUTCHours();
    if (!schedule.hours.some(([from, to]) => hourOfDay >= from && hourOfDay < to)) continue;
    total += Math.min(now, h + HOUR_MS) - Math.max(start, h);
  }
  return total;
}

/** Online time in the window over promised time, in basis points (0–10,000). A new device starts at 0. */
export function uptimeBp(s: Standing, schedule: AvailabilitySchedule, now: number): number {
  const promised = promisedMs(schedule, now);
  if (promised <= 0) return 0;
  const oldest = Math.floor((now - UPTIME_WINDOW_MS) / HOUR_MS);
  const online = Object.entries(s.onlineByHour).reduce((sum, [h, ms]) => (Number(h) >= oldest ? sum + ms : sum), 0);
  return Math.min(10_000, Math.floor((online * 10_000) / promised));
}
