/** The agent's OS ports, implemented with Electron's powerMonitor (cheap, in-process, with events). */
import type { PowerMonitor } from 'electron';
import type { IdleSource, PowerSource, SessionEvent, SessionEvents } from '../core/ports.js';

/**
 * Electron's idle time, but never less than the OS fallback says: under some Wayland compositors
 * Chromium sees no idle time at all, while logind still does.
 */
export function electronIdle(monitor: Pick<PowerMonitor, 'getSystemIdleTime' | 'getSystemIdleState'>, fallback: IdleSource): IdleSource {
  return {
    name: fallback.name === 'none' ? 'Electron powerMonitor' : `Electron powerMonitor + ${fallback.name}`,
    async idleSeconds() {
      const other = fallback.name === 'none' ? null : await fallback.idleSeconds();
      return Math.max(monitor.getSystemIdleTime(), other ?? 0);
    },
    locked: async () => monitor.getSystemIdleState(1) === 'locked',
  };
}

/** Electron knows AC vs battery everywhere; charge level and saver still come from the OS reading. */
export const electronPower = (monitor: Pick<PowerMonitor, 'isOnBatteryPower'>, fallback: PowerSource): PowerSource => ({
  read: async () => ({ ...(await fallback.read()), onBattery: monitor.isOnBatteryPower() }),
});

const EVENTS: Record<string, SessionEvent> = {
  suspend: 'suspend',
  resume: 'resume',
  'lock-screen': 'lock',
  'unlock-screen': 'unlock',
  'user-did-become-active': 'user-active',
};

export const electronSession = (monitor: Pick<PowerMonitor, 'on' | 'off'>): SessionEvents => ({
  subscribe(listener) {
    const handlers = Object.entries(EVENTS).map(([name, event]) => [name, () => listener(event)] as const);
    // eslint-disable-next-line @typescript-eslint/consistent-type-assertions -- each name is a powerMonitor event (EVENTS' keys), whose overloads take one literal at a time
    for (const [name, handler] of handlers) monitor.on(name as 'suspend', handler);
    return () => {
      // eslint-disable-next-line @typescript-eslint/consistent-type-assertions -- as in subscribe
      for (const [name, handler] of handlers) monitor.off(name as 'suspend', handler);
    };
  },
});
