import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { EventEmitter } from 'node:events';
import type { PowerMonitor } from 'electron';
import { DEFAULT_SETTINGS } from '../../main/common/settings.js';
import { Monitor } from '../../main/core/monitor/monitor.js';
import {
  linuxPower,
  linuxSampler,
  nodeIdle,
  parseIoreg,
  parseLoginctl,
  parsePidStat,
  parsePmset,
  parseProcStat,
} from '../../main/core/monitor/node-sources.js';
import type { SessionEvent } from '../../main/core/ports.js';
import { electronIdle, electronPower, electronSession } from '../../main/electron/adapters.js';
import { fakePorts, tempDir } from '../helpers/fakes.js';

/** Writes a file tree (path → content) under a temp root: a recorded /proc or /sys. */
async function tree(files: Record<string, string>): Promise<string> {
  const root = await tempDir();
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), content);
  }
  return root;
}

test('/proc/stat: busy and total CPU time in ms', { timeout: 120_000 }, () => {
  assert.deepEqual(parseProcStat('cpu  100 5 50 800 20 3 2 10 0 0\ncpu0 1 2 3'), { busyMs: 1700, totalMs: 9900 });
});

test('/proc/<pid>/stat: utime + stime, even with spaces and parentheses in the name', { timeout: 120_000 }, () => {
  const stat = '4242 (job host (1)) S 1 4242 4242 0 -1 4194304 100 0 0 0 150 25 0 0 20 0 3 0 1000 0 0';
  assert.equal(parsePidStat(stat), 1750);
});

test('Linux sampler: CPU times with ours, the CPU sensor preferred, running program names', { timeout: 120_000 }, async () => {
  const root = await tree({
    'proc/stat': 'cpu  100 0 100 800 0 0 0 0 0 0\n',
    'proc/77/stat': '77 (node) R 1 1 1 0 -1 0 0 0 0 0 30 10 0 0 20 0 1 0 1 0 0',
    'proc/77/comm': 'node\n',
    'proc/88/comm': 'Steam\n',
    'sys/class/thermal/thermal_zone0/type': 'acpitz',
    'sys/class/thermal/thermal_zone0/temp': '97000',
    'sys/class/thermal/thermal_zone1/type': 'x86_pkg_temp',
    'sys/class/thermal/thermal_zone1/temp': '61500',
  });
  const sampler = linuxSampler(root);
  assert.deepEqual(await sampler.cpuTimes([77, 99999]), { busyMs: 2000, totalMs: 10000, oursMs: 400 });
  assert.equal(await sampler.cpuTempC(), 61.5);
  assert.deepEqual((await sampler.processNames())?.sort(), ['node', 'steam']);
  assert.equal(await linuxSampler(await tree({})).cpuTempC(), null, 'no sensors: cannot tell');
});

test('Linux power: laptop unplugged, laptop charging, desktop without battery', { timeout: 120_000 }, async () => {
  const battery = (status: string, online: string, profile?: string) =>
    tree({
      'sys/class/power_supply/BAT0/type': 'Battery',
      'sys/class/power_supply/BAT0/capacity': '34',
      'sys/class/power_supply/BAT0/status': status,
      'sys/class/power_supply/AC/type': 'Mains',
      'sys/class/power_supply/AC/online': online,
      ...(profile ? { 'sys/firmware/acpi/platform_profile': profile } : {}),
    });
  assert.deepEqual(await linuxPower(await battery('Discharging', '0', 'low-power')).read(), {
    onBattery: true,
    batteryPercent: 34,
    charging: false,
    batterySaver: true,
  });
  assert.deepEqual(await linuxPower(await battery('Charging', '1', 'balanced')).read(), {
    onBattery: false,
    batteryPercent: 34,
    charging: true,
    batterySaver: false,
  });
  assert.deepEqual(await linuxPower(await tree({})).read(), { onBattery: false, batteryPercent: null, charging: null, batterySaver: null });
});

test('loginctl, ioreg and pmset outputs', { timeout: 120_000 }, () => {
  assert.deepEqual(parseLoginctl('IdleHint=yes\nIdleSinceHintMonotonic=1000000\nLockedHint=no\n', 181_000_000), {
    idleSeconds: 180,
    locked: false,
  });
  assert.deepEqual(parseLoginctl('IdleHint=no\nIdleSinceHintMonotonic=0\n', 5e6), { idleSeconds: 0, locked: null });
  assert.equal(parseLoginctl('', 1), null);
  assert.equal(parseIoreg('    |   "HIDIdleTime" = 125000000000\n'), 125);
  assert.deepEqual(
    parsePmset("Now drawing from 'Battery Power'\n -InternalBattery-0 (id=1)\t85%; discharging; 4:01 remaining present: true"),
    {
      onBattery: true,
      batteryPercent: 85,
      charging: false,
      batterySaver: null,
    },
  );
  assert.equal(parsePmset("Now drawing from 'AC Power'\n -InternalBattery-0\t100%; charged; 0:00 remaining").charging, true);
});

test('monitor: load split into ours and the rest, listed apps found, questions asked only when needed', { timeout: 120_000 }, async () => {
  const ports = fakePorts();
  let pids = [1];
  const lanes = () => [{ id: 'cpu', pids, busyMs: 0, finished: 0, operations: 0 }];
  const monitor = new Monitor(ports, () => [], lanes);
  let idleAsked = 0;
  const idle = ports.idle.idleSeconds;
  ports.idle = { ...ports.idle, idleSeconds: () => (idleAsked++, idle()) };
  const sharing = { ...DEFAULT_SETTINGS, sharing: true, pauseWhileApps: ['Steam.exe'] };
  ports.os.cpu = { busyMs: 1000, totalMs: 10_000, oursMs: 100 };
  const first = await new Monitor(ports, () => [], lanes).sample(sharing);
  assert.equal(first.cpu.otherLoadPercent, null, 'no delta yet: cannot tell');
  await monitor.sample(sharing);
  ports.os.cpu = { busyMs: 7000, totalMs: 20_000, oursMs: 2100 };
  ports.os.processes = ['bash', 'steam'];
  pids = [1, 2];
  const second = await monitor.sample(sharing);
  assert.equal(second.cpu.ourLoadPercent, 20);
  assert.equal(second.cpu.otherLoadPercent, 40);
  assert.deepEqual(second.blockingApps, ['steam']);
  const before = idleAsked;
  const off = await monitor.sample({ ...DEFAULT_SETTINGS, sharing: false });
  assert.equal(idleAsked, before, 'no idle query while not sharing');
  assert.equal(off.idleSeconds, null);
  assert.deepEqual(off.blockingApps, []);
});

test("monitor: a GPU's use is split into our jobs' run time and the rest", { timeout: 120_000 }, async () => {
  const ports = fakePorts();
  let busyMs = 0;
  const gpu = { id: 'GPU-1', name: 'RTX 4070', tempC: 60, utilizationPercent: 80, ourUtilizationPercent: null, vramTotalMiB: 12288 };
  const monitor = new Monitor(
    ports,
    () => [gpu],
    () => [{ id: 'GPU-1', pids: [7], busyMs, finished: 0, operations: 0 }],
  );
  assert.equal((await monitor.sample(DEFAULT_SETTINGS)).gpus[0]!.ourUtilizationPercent, null, 'no earlier sample: cannot tell');
  ports.clock.advance(1000);
  busyMs = 500;
  const second = (await monitor.sample(DEFAULT_SETTINGS)).gpus[0]!;
  assert.equal(second.ourUtilizationPercent, 50, 'our jobs ran half of the second');
  assert.equal(second.utilizationPercent, 80, "the driver's own figure is kept: the user's programs used the other 30");
  ports.clock.advance(1000);
  const idle = await monitor.sample(DEFAULT_SETTINGS);
  assert.equal(idle.gpus[0]!.ourUtilizationPercent, 0);
});

test('monitor: sleep and lock events reach the next sample', { timeout: 120_000 }, async () => {
  const ports = fakePorts();
  const monitor = new Monitor(
    ports,
    () => [],
    () => [],
  );
  ports.os.emit('suspend');
  ports.os.emit('lock');
  const sample = await monitor.sample({ ...DEFAULT_SETTINGS, sharing: true });
  assert.equal(sample.suspended, true);
  assert.equal(sample.locked, true);
  ports.os.emit('resume');
  assert.equal((await monitor.sample(DEFAULT_SETTINGS)).suspended, false);
});

test('Electron adapters: idle never below the OS fallback, AC from powerMonitor, events mapped', { timeout: 120_000 }, async () => {
  const monitor = Object.assign(new EventEmitter(), {
    getSystemIdleTime: () => 0,
    getSystemIdleState: () => 'locked' as const,
    isOnBatteryPower: () => true,
  });
  const idle = electronIdle(monitor, { name: 'logind', idleSeconds: async () => 700, locked: async () => false });
  assert.equal(await idle.idleSeconds(), 700);
  assert.equal(await idle.locked(), true);
  assert.equal(idle.name, 'Electron powerMonitor + logind');
  const power = electronPower(monitor, {
    read: async () => ({ onBattery: null, batteryPercent: 50, charging: false, batterySaver: null }),
  });
  assert.deepEqual(await power.read(), { onBattery: true, batteryPercent: 50, charging: false, batterySaver: null });
  const seen: SessionEvent[] = [];
  const unsubscribe = electronSession(monitor as unknown as PowerMonitor).subscribe((event) => seen.push(event));
  for (const name of ['suspend', 'resume', 'lock-screen', 'unlock-screen', 'user-did-become-active']) monitor.emit(name);
  assert.deepEqual(seen, ['suspend', 'resume', 'lock', 'unlock', 'user-active']);
  unsubscribe();
  monitor.emit('suspend');
  assert.equal(seen.length, 5);
  assert.equal(monitor.listenerCount('suspend'), 0);
});

test('headless idle source: none without a display or login session, said by name', { timeout: 120_000 }, async () => {
  const none = nodeIdle('linux', {});
  assert.equal(none.name, 'none');
  assert.equal(await none.idleSeconds(), null);
  assert.equal(nodeIdle('linux', { XDG_SESSION_ID: '2' }).name, 'logind');
  assert.equal(nodeIdle('win32', {}).name, 'none');
});
