/** The OS ports as plain Node reads them (headless mode, and the parts Electron has no API for). */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { noInputWatcher, x11IdleSeconds, x11Input, x11InputWatcher, type X11Input } from './input-watcher.js';
import type { CpuTimes, IdleSource, PowerReading, PowerSource, SessionEvents, SystemSampler } from '../ports.js';

/** Linux reports CPU time in clock ticks of 1/100 s on every mainstream build (USER_HZ). */
const TICK_MS = 10;

/**
 * /proc and /sys are kernel memory, never disk: a synchronous read takes microseconds, while the async one costs
 * several thread-pool round trips per file — most of the idle agent's CPU before this.
 */
function read(file: string): string | null {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return null;
  }
}
function list(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Runs a small OS tool; null when it is missing, fails or takes too long. */
export const run = (command: string, args: string[], timeoutMs = 1000): Promise<string | null> =>
  new Promise((resolve) => {
    execFile(command, args, { timeout: timeoutMs, windowsHide: true }, (error, stdout) => resolve(error ? null : stdout));
  });

/** /proc/stat's first line: user nice system idle iowait irq softirq steal … */
export function parseProcStat(text: string): { busyMs: number; totalMs: number } {
  const fields = (text.split('\n')[0] ?? '').trim().split(/\s+/).slice(1, 9).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields;
  const busy = user + nice + system + irq + softirq + steal;
  return { busyMs: busy * TICK_MS, totalMs: (busy + idle + iowait) * TICK_MS };
}

/** utime + stime of /proc/<pid>/stat, counted after the ")" that ends the (possibly spaced) name. */
export function parsePidStat(text: string): number {
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

const CPU_ZONES = ['x86_pkg_temp', 'coretemp', 'k10temp', 'cpu-thermal', 'cpu_thermal', 'soc_thermal'];

export function linuxSampler(root = '/'): SystemSampler {
  const proc = join(root, 'proc');
  return {
    async cpuTimes(ourPids): Promise<CpuTimes> {
      const stat = parseProcStat(read(join(proc, 'stat')) ?? '');
      let oursMs = 0;
      for (const pid of ourPids) {
        const text = read(join(proc, String(pid), 'stat'));
        if (text) oursMs += parsePidStat(text); // a job that just exited adds nothing
      }
      return { ...stat, oursMs };
    },
    async cpuTempC() {
      const base = join(root, 'sys/class/thermal');
      const zones = list(base);
      let best: { rank: number; temp: number } | null = null;
      for (const zone of zones.filter((z) => z.startsWith('thermal_zone'))) {
        const [type, temp] = [read(join(base, zone, 'type')), read(join(base, zone, 'temp'))];
        if (temp === null || Number.isNaN(Number(temp))) continue;
        // A known CPU sensor wins; otherwise the hottest zone is the safe guess.
        const rank = CPU_ZONES.includes(type ?? '') ? 1 : 0;
        const celsius = Number(temp) / 1000;
        if (!best || rank > best.rank || (rank === best.rank && celsius > best.temp)) best = { rank, temp: celsius };
      }
      return best?.temp ?? null;
    },
    async processNames() {
      const entries = list(proc);
      if (entries.length === 0) return null;
      const names = entries.filter((e) => /^\d+$/.test(e)).map((pid) => read(join(proc, pid, 'comm')));
      return names.filter((n): n is string => n !== null).map((n) => n.toLowerCase());
    },
    fullscreen: async () => null,
  };
}

/** Other OSes: machine-wide CPU time from os.cpus(); our share and temperatures are not reported. */
export function portableSampler(platform: NodeJS.Platform): SystemSampler {
  return {
    async cpuTimes() {
      let busyMs = 0;
      let totalMs = 0;
      for (const { times } of cpus()) {
        busyMs += times.user + times.nice + times.sys + times.irq;
        totalMs += times.user + times.nice + times.sys + times.irq + times.idle;
      }
      return { busyMs, totalMs, oursMs: null };
    },
    cpuTempC: async () => null,
    async processNames() {
      const out = platform === 'win32' ? await run('tasklist', ['/fo', 'csv', '/nh'], 3000) : await run('ps', ['-A', '-o', 'comm='], 3000);
      if (out === null) return null;
      return out
        .split('\n')
        .map((line) => (platform === 'win32' ? (line.split('","')[0] ?? '').replace(/^"/, '') : (line.split('/').pop() ?? '')))
        .map((name) =>
          name
            .trim()
            .toLowerCase()
            .replace(/\.exe$/, ''),
        )
        .filter(Boolean);
    },
    fullscreen: async () => null,
  };
}

/** /sys/class/power_supply: any mains online means plugged in; a battery reports charge and direction. */
export function linuxPower(root = '/'): PowerSource {
  const base = join(root, 'sys/class/power_supply');
  return {
    async read(): Promise<PowerReading> {
      const supplies = list(base);
      let mains: boolean | null = null;
      let battery: { percent: number | null; status: string | null } | null = null;
      for (const name of supplies) {
        const type = read(join(base, name, 'type'));
        if (type === 'Mains' || type === 'USB') mains = mains === true || read(join(base, name, 'online')) === '1';
        if (type === 'Battery' && !battery) {
          const capacity = read(join(base, name, 'capacity'));
          battery = { percent: capacity === null ? null : Number(capacity), status: read(join(base, name, 'status')) };
        }
      }
      const profile = read(join(root, 'sys/firmware/acpi/platform_profile'));
      // No battery at all: a desktop, which is never "on battery".
      const onBattery = battery === null ? false : mains === null ? battery.status === 'Discharging' : !mains;
      return {
        onBattery,
        batteryPercent: battery?.percent ?? null,
        charging: battery ? battery.status === 'Charging' || battery.status === 'Full' : null,
        batterySaver: profile === null ? null : profile === 'low-power',
      };
    },
  };
}

/** `pmset -g batt` on macOS: "Now drawing from 'Battery Power'" … "85%; discharging". */
export function parsePmset(text: string): PowerReading {
  const percent = text.match(/(\d+)%/);
  return {
    onBattery: /Battery Power/.test(text),
    batteryPercent: percent ? Number(percent[1]) : null,
    charging: percent ? /;\s*(charging|charged|finishing charge)/.test(text) : null,
    batterySaver: null,
  };
}

export const macPower = (): PowerSource => ({
  read: async () => {
    const out = await run('pmset', ['-g', 'batt']);
    return out === null ? { onBattery: null, batteryPercent: null, charging: null, batterySaver: null } : parsePmset(out);
  },
});

export const unknownPower: PowerSource = {
  read: async () => ({ onBattery: null, batteryPercent: null, charging: null, batterySaver: null }),
};

/** `loginctl show-session` (works under Wayland too): IdleHint and when it began, on the monotonic clock in µs. */
export function parseLoginctl(text: string, monotonicNowUs: number): { idleSeconds: number; locked: boolean | null } | null {
  const value = (key: string) => text.match(new RegExp(`^${key}=(.*)$`, 'm'))?.[1];
  const hint = value('IdleHint');
  if (hint === undefined) return null;
  const since = Number(value('IdleSinceHintMonotonic') ?? 0);
  const locked = value('LockedHint');
  return {
    idleSeconds: hint === 'yes' && since > 0 ? Math.max(0, (monotonicNowUs - since) / 1e6) : 0,
    locked: locked === undefined ? null : locked === 'yes',
  };
}

/** HIDIdleTime from `ioreg -c IOHIDSystem`, in nanoseconds. */
export function parseIoreg(text: string): number | null {
  const match = text.match(/"HIDIdleTime"\s*=\s*(\d+)/);
  return match ? Number(match[1]) / 1e9 : null;
}

/** Headless idle time: X11 (the addon's counter, else xprintidle), then logind, then nothing — said honestly as null. */
export function nodeIdle(platform: NodeJS.Platform, env: NodeJS.ProcessEnv, x11: X11Input | null = null): IdleSource {
  if (platform === 'darwin') {
    return {
      name: 'IOKit HIDIdleTime',
      idleSeconds: async () => parseIoreg((await run('ioreg', ['-c', 'IOHIDSystem', '-d', '4'])) ?? ''),
      locked: async () => null,
    };
  }
  const session = env['XDG_SESSION_ID'];
  if (platform !== 'linux' || (!session && !env['DISPLAY']))
    return { name: 'none', idleSeconds: async () => null, locked: async () => null };
  const logind = async () => {
    if (!session) return null;
    const out = await run('loginctl', ['show-session', session, '-p', 'IdleHint', '-p', 'IdleSinceHintMonotonic', '-p', 'LockedHint']);
    return out === null ? null : parseLoginctl(out, Number(process.hrtime.bigint() / 1000n));
  };
  return {
    name: x11 ? 'X11 screen saver counter, then logind' : env['DISPLAY'] ? 'X11 (xprintidle), then logind' : 'logind',
    async idleSeconds() {
      const counted = x11 && x11IdleSeconds(x11);
      if (typeof counted === 'number') return counted;
      if (env['DISPLAY']) {
        const ms = Number(await run('xprintidle', []));
        if (Number.isFinite(ms) && ms > 0) return ms / 1000;
      }
      return (await logind())?.idleSeconds ?? null;
    },
    locked: async () => (await logind())?.locked ?? null,
  };
}

/** Headless mode has no sleep/lock notifications; polling still catches them a tick late. */
export const noSessionEvents: SessionEvents = { subscribe: () => () => undefined };

export function nodeSystemPorts(platform: NodeJS.Platform, env: NodeJS.ProcessEnv) {
  const found = platform === 'linux' ? x11Input(env) : null;
  const x11 = found?.ok ? found.value : null;
  return {
    idle: nodeIdle(platform, env, x11),
    input: x11 ? x11InputWatcher(x11) : noInputWatcher,
    power: platform === 'linux' ? linuxPower() : platform === 'darwin' ? macPower() : unknownPower,
    session: noSessionEvents,
    system: platform === 'linux' ? linuxSampler() : portableSampler(platform),
  };
}
