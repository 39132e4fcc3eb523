import type { FleetStatus } from '../../common/fleet.js';
import { errorText } from '../../common/result.js';
import type { Tell } from '../../common/state.js';
import type { Clock, Logger } from '../ports.js';
import { fleetAlerts, type FleetAlertLimits, type FleetAlertMemory } from './alerts.js';
import type { Fleet } from './fleet.js';

/** How often the owner asks its members when nobody has the Fleet page open: about 1 KB each way per member a minute. */
export const WATCH_EVERY_MS = 60_000;

export interface FleetWatchDeps {
  clock: Clock;
  logger: Logger;
  limits(): FleetAlertLimits;
  say(tell: Tell): void;
}

/**
 * The fleet with its alerts: every fleet view (the page's, the CLI's and one a minute of its own) goes through the
 * alert rules, so a member that goes quiet is noticed with no page open.
 */
export function watchFleet(fleet: Fleet, d: FleetWatchDeps): Fleet {
  let memory: FleetAlertMemory = new Map();
  let stop: (() => void) | null = null;
  let closed = false;

  const status = async (): Promise<FleetStatus> => {
    const seen = await fleet.status();
    const news = fleetAlerts(seen, memory, d.clock.now(), d.limits());
    memory = news.memory;
    for (const item of news.tells) d.say(item);
    return seen;
  };
  const tick = (): void => {
    stop = null;
    status()
      .catch((error: unknown) => d.logger.error(`fleet watch: ${errorText(error)}`))
      .finally(() => {
        if (!closed) stop = d.clock.after(WATCH_EVERY_MS, tick);
      });
  };
  stop = d.clock.after(WATCH_EVERY_MS, tick);

  return {
    ...fleet,
    status,
    async close() {
      closed = true;
      stop?.();
      await fleet.close();
    },
  };
}
