import { z } from 'zod';
import type { LeaseReply } from '../common/protocol.js';

/**
 * The devnet's verification policy (docs/protocol.md, "Verification"): which results are recomputed, and what a
 * wrong one costs. Pure functions of what the state file keeps per device.
 *
 * A new device has every result checked; each run of HALVING_EVERY consecutive results checked and right halves the
 * share, down to the coordinator's floor (`verifyRate`). A wrong result puts it back to every result, forfeits the
 * device's open epoch and shuts it out for an hour, twice as long for each other wrong result in 30 days.
 */

/** Results checked and right in a row that halve the share checked: 32 × (1 + 2 + 4 + 8 + 16) results to reach 5 %. */
export const HALVING_EVERY = 32;
/** The share a device with a long clean record is checked at, unless the coordinator is told otherwise. */
export const DEFAULT_FLOOR = 0.05;
const HOUR_MS = 3_600_000;
const FIRST_QUARANTINE_MS = HOUR_MS;
const MAX_QUARANTINE_MS = 7 * 24 * HOUR_MS;

export const TrustSchema = z.object({
  /** Results checked and right since registration or the last wrong one. */
  streak: z.number().int().nonnegative(),
  /** No leases before this (coordinator ms); 0 when never shut out. */
  quarantinedUntil: z.number().int().nonnegative(),
});
export type Trust = z.infer<typeof TrustSchema>;

export const newTrust = (): Trust => ({ streak: 0, quarantinedUntil: 0 });

/**
 * The share of this device's results to recompute: 1 for a new device, halved for every HALVING_EVERY results in a
 * row checked and right, never below `floor`. A floor of 0 means the coordinator trusts every result (benches only).
 */
export function checkRate(trust: Trust, floor: number): number {
  if (floor <= 0) return 0;
  return Math.min(1, Math.max(floor, 2 ** -Math.floor(trust.streak / HALVING_EVERY)));
}

/** How long a wrong result shuts the device out: an hour, doubled for each other wrong one in 30 days, at most a week. */
export const quarantineMs = (wrongIn30Days: number): number =>
  Math.min(MAX_QUARANTINE_MS, FIRST_QUARANTINE_MS * 2 ** Math.max(0, wrongIn30Days - 1));

/** The trust after a checked result: one more in the streak, or back to the start and shut out. */
export function afterCheck(trust: Trust, right: boolean, wrongIn30Days: number, now: number): Trust {
  if (right) return { ...trust, streak: trust.streak + 1 };
  return { streak: 0, quarantinedUntil: now + quarantineMs(wrongIn30Days) };
}

const clockTime = (at: number): string => new Date(at).toISOString().slice(11, 16);
const span = (ms: number): string => {
  const hours = Math.ceil(ms / HOUR_MS);
  if (hours >= 48) return `${Math.ceil(hours / 24)} days`;
  return hours === 1 ? 'about an hour' : `about ${hours} hours`;
};

/** The lease refusal a shut-out device gets, in plain words, or null when it may lease. */
export function quarantineRefusal(trust: Trust, now: number): Extract<LeaseReply, { kind: 'none' }> | null {
  const left = trust.quarantinedUntil - now;
  if (left <= 0) return null;
  return {
    kind: 'none',
    reason: 'not-eligible',
    message:
      `a result from this device was wrong when the network worked it out again, so it gets no work for ${span(left)} ` +
      `(until ${clockTime(trust.quarantinedUntil)} UTC) and the earnings of that minute are not paid. ` +
      'Check that nothing on this computer changes its results; after the pause each result is checked again.',
    retryAfterMs: Math.min(left, HOUR_MS),
    serverTime: now,
  };
}
