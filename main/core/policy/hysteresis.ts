/**
 * Thresholds that cannot flap. Readings are compared in the whole units the user sees ("60 %", "85 °C"), so a
 * reading shown as the limit is never past it. Crossing the limit trips the rule; once tripped, it holds until the
 * reading is back past the limit by the margin.
 */

/** An upper limit (CPU load, temperature): trips above `limit`; once tripped, holds until below `limit − margin`. */
export const aboveLimit = (reading: number, limit: number, margin: number, tripped: boolean): boolean =>
  tripped ? Math.round(reading) >= limit - margin : Math.round(reading) > limit;

/** A lower limit (battery): trips below `limit`; once tripped, holds until above `limit + margin`. */
export const belowLimit = (reading: number, limit: number, margin: number, tripped: boolean): boolean =>
  tripped ? Math.round(reading) <= limit + margin : Math.round(reading) < limit;
