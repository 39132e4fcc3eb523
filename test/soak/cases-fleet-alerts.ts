// The fleet's alerts over a long, messy week (issue 29 item 3): 50 members that drop off and come back, stall while
// sharing, pause, and run hot, minute by minute on a fake clock. Every episode past its limit is told exactly once,
// every told episode gets exactly one "back", nothing shorter than its limit is told, and no machine is told the same
// trouble twice without a "back" between.
import type { MemberView } from '../../main/common/fleet.js';
import { DEFAULT_SETTINGS } from '../../main/common/settings.js';
import { fleetAlerts, COOL_MARGIN_C, type FleetAlertMemory } from '../../main/core/fleet/alerts.js';
import { clean, type SoakCase } from './case.js';

const MINUTE = 60_000;
const LIMITS = DEFAULT_SETTINGS.fleetAlerts;

/** A small seeded generator, so a failure can be run again as it was. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (s * 1_664_525 + 1_013_904_223) >>> 0) / 2 ** 32;
}

interface Truth {
  online: boolean;
  /** Minutes in the current offline run, stall run (sharing, working, no gain) and hot run. */
  offlineFor: number;
  stalledFor: number;
  hot: boolean;
  wei: bigint;
  temp: number;
  sharing: boolean;
  /** The total it reported last minute. */
  last?: string | undefined;
}

type Trouble = 'offline' | 'idle' | 'hot';
const BACK: Record<string, Trouble> = { back: 'offline', earning: 'idle', cool: 'hot' };

export const FLEET_ALERT_CASES: SoakCase[] = [
  {
    name: 'fleet alerts: a week of 50 flapping members, each episode told once and back once',
    fast: true,
    async run(size) {
      const machines = 50;
      const minutes = size === 'fast' ? 2 * 24 * 60 : 7 * 24 * 60;
      const next = random(29);
      const truth: Truth[] = Array.from({ length: machines }, () => ({
        online: true,
        offlineFor: 0,
        stalledFor: 0,
        hot: false,
        wei: 1n,
        temp: 60,
        sharing: true,
      }));
      const id = (i: number): string => String.fromCharCode(65 + (i % 26)).repeat(42) + String.fromCharCode(97 + Math.floor(i / 26));
      const open = new Map<string, number>(); // `${trouble}:${id}` → minute told
      let memory: FleetAlertMemory = new Map();
      const wrong: string[] = [];
      let told = 0;
      let backs = 0;
      for (let minute = 0; minute < minutes; minute++) {
        const peers: MemberView[] = truth.map((m, i) => {
          // Each minute a few things change, in runs long and short.
          if (next() < 0.004) m.online = !m.online;
          if (next() < 0.01) m.sharing = !m.sharing;
          if (m.online && m.sharing && next() < 0.7) m.wei += BigInt(1 + Math.floor(next() * 1000));
          m.temp = Math.max(30, Math.min(100, m.temp + (next() - 0.5) * 6));
          return {
            id: id(i),
            name: `rig-${i}`,
            role: 'member',
            address: '10.0.0.1:7434',
            state: m.online ? 'online' : 'offline',
            reason: m.online ? 'Working.' : 'The machine did not answer.',
            pairedAt: 0,
            lastSeen: null,
            report: m.online
              ? {
                  name: `rig-${i}`,
                  version: '1',
                  sharing: m.sharing,
                  status: m.sharing ? { code: 'working', reason: 'Working.' } : { code: 'off', reason: 'Sharing is off.' },
                  devices: [],
                  perHourWei: null,
                  today: null,
                  total: { key: 'total', confirmedWei: String(m.wei), pendingWei: '0', receipts: 0, pendingTasks: 0 },
                  temperatureC: Math.round(m.temp),
                }
              : null,
          };
        });
        const news = fleetAlerts({ enabled: true, peers }, memory, minute * MINUTE, LIMITS);
        memory = news.memory;
        // What the world was this minute, to hold each alert against.
        truth.forEach((m, i) => {
          m.offlineFor = m.online ? 0 : m.offlineFor + 1;
          const earned = peers[i]!.report?.total?.confirmedWei;
          m.stalledFor = m.online && m.sharing && earned === m.last ? m.stalledFor + 1 : 0;
          m.last = earned;
          m.hot =
            m.online && Math.round(m.temp) >= LIMITS.maxTempC
              ? true
              : m.online && Math.round(m.temp) <= LIMITS.maxTempC - COOL_MARGIN_C
                ? false
                : m.hot;
        });
        for (const tell of news.tells) {
          const [, what, who] = tell.key.split(':') as [string, string, string];
          const i = truth.findIndex((_, n) => id(n) === who);
          const trouble = BACK[what] ?? (what as Trouble);
          const key = `${trouble}:${who}`;
          if (what in BACK) {
            backs++;
            if (!open.delete(key)) wrong.push(`minute ${minute}: "${what}" for ${who} with no ${trouble} told before`);
          } else {
            told++;
            if (open.has(key)) wrong.push(`minute ${minute}: ${what} told twice for ${who} without a back between`);
            open.set(key, minute);
            const m = truth[i]!;
            if (what === 'offline' && m.offlineFor < LIMITS.offlineMinutes)
              wrong.push(`minute ${minute}: offline told after ${m.offlineFor} min`);
            if (what === 'idle' && m.stalledFor < LIMITS.notEarningMinutes)
              wrong.push(`minute ${minute}: idle told after ${m.stalledFor} min`);
            if (what === 'hot' && Math.round(m.temp) < LIMITS.maxTempC)
              wrong.push(`minute ${minute}: hot told at ${Math.round(m.temp)} °C`);
          }
        }
        // Anything still true past its limit must have been told by now.
        truth.forEach((m, i) => {
          if (m.offlineFor > LIMITS.offlineMinutes + 1 && !open.has(`offline:${id(i)}`))
            wrong.push(`minute ${minute}: rig-${i} offline ${m.offlineFor} min, untold`);
        });
      }
      const ok = wrong.length === 0 && told > 0 && backs > 0;
      return {
        ok,
        outcome: `${minutes / 60} h of ${machines} members: ${told} alerts and ${backs} "back" told; ${open.size} still open at the end; ${wrong.length} wrong${wrong.length ? `: ${wrong.slice(0, 3).join('; ')}` : ''}`,
        ...clean,
      };
    },
  },
];
