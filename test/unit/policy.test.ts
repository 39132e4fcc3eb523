import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { Decision, ReasonCode, Signals } from '../../main/common/policy.js';
import { DEFAULT_SETTINGS, type Settings } from '../../main/common/settings.js';
import { decide, summarize } from '../../main/core/policy/decide.js';
import { effectiveShare } from '../../main/core/policy/share.js';

// Wednesday 2026-11-25 12:30 UTC; the machine is in UTC+1, so 13:30 local.
const NOW = Date.UTC(2026, 10, 25, 12, 30);

/** A plugged-in desktop, untouched for an hour, cool and quiet: everything allows work. */
const calm = (over: Partial<Signals> = {}): Signals => ({
  at: NOW,
  utcOffsetMinutes: 60,
  idleSeconds: 3600,
  locked: false,
  power: { onBattery: false, batteryPercent: null, charging: null, batterySaver: false },
  cpu: { cores: 8, otherLoadPercent: 5, ourLoadPercent: 0, tempC: 50 },
  memory: { totalBytes: 16 * 2 ** 30, availableBytes: 8 * 2 ** 30 },
  gpus: [{ id: 'GPU-1', name: 'RTX 4070', tempC: 55, utilizationPercent: 3, ourUtilizationPercent: null, vramTotalMiB: 12288 }],
  blockingApps: [],
  fullscreen: false,
  suspended: false,
  ...over,
});
// The rules under test, switched on: the defaults leave "pause while my programs are busy" off.
const on = (over: Partial<Settings> = {}): Settings => ({ ...DEFAULT_SETTINGS, sharing: true, pauseWhenUserCpuAbovePercent: 60, ...over });
/** "Only when I am away" is off by default (most systems cannot report idle time); these rules switch it on. */
const AWAY_ONLY: Settings['idleOnly'] = { enabled: true, minutes: 10 };

const codes = (decision: Decision, device = 0) => decision.devices[device]!.reasons.filter((r) => r.blocking).map((r) => r.code);

test('calm machine, sharing on: every device runs, no reasons', { timeout: 120_000 }, () => {
  const decision = decide(calm(), on(), NOW);
  assert.deepEqual(
    decision.devices.map((d) => [d.deviceId, d.run, d.reasons]),
    [
      ['cpu', true, []],
      ['GPU-1', true, []],
    ],
  );
});

/** [rule, signals change, settings change, blocking code on every device, message] */
const rules: [string, Partial<Signals>, Partial<Settings>, ReasonCode, RegExp][] = [
  ['sharing off', {}, { sharing: false }, 'SHARING_OFF', /Sharing is off/],
  ['going to sleep', { suspended: true }, {}, 'SUSPENDED', /going to sleep/],
  ['paused for an hour', {}, { pausedUntil: NOW + 3600_000 }, 'PAUSED_UNTIL', /Paused until 14:30/],
  ['user present, idle-only', { idleSeconds: 190 }, { idleOnly: AWAY_ONLY }, 'WAITING_FOR_IDLE', /Waiting: 3 of 10 idle minutes/],
  ['idle time unknown, idle-only', { idleSeconds: null }, { idleOnly: AWAY_ONLY }, 'IDLE_UNKNOWN', /does not report idle time/],
  [
    'on battery',
    { power: { onBattery: true, batteryPercent: 34, charging: false, batterySaver: false } },
    {},
    'ON_BATTERY',
    /on battery, 34 %/,
  ],
  [
    'battery allowed but low',
    { power: { onBattery: true, batteryPercent: 34, charging: false, batterySaver: false } },
    { power: { ...DEFAULT_SETTINGS.power, pauseOnBattery: false } },
    'BATTERY_LOW',
    /on battery, 34 % < 50 %/,
  ],
  [
    'charging only, unplugged',
    { power: { onBattery: true, batteryPercent: 90, charging: false, batterySaver: false } },
    { power: { ...DEFAULT_SETTINGS.power, pauseOnBattery: false, chargingOnly: true } },
    'NOT_CHARGING',
    /only while plugged in/,
  ],
  [
    'battery saver',
    { power: { onBattery: false, batteryPercent: 80, charging: true, batterySaver: true } },
    {},
    'BATTERY_SAVER',
    /battery saver/,
  ],
  [
    'other programs busy',
    { cpu: { cores: 8, otherLoadPercent: 72, ourLoadPercent: 0, tempC: 50 } },
    {},
    'USER_BUSY',
    /use 72 % CPU \(> 60 %\)/,
  ],
  ['listed app running', { blockingApps: ['steam'] }, { pauseWhileApps: ['steam'] }, 'APP_RUNNING', /steam is running/],
  ['full screen', { fullscreen: true }, {}, 'FULLSCREEN', /full screen/],
];
for (const [rule, signals, settings, code, message] of rules) {
  test(`rule: ${rule} → ${code} on every device`, { timeout: 120_000 }, () => {
    const decision = decide(calm(signals), on(settings), NOW);
    for (const device of decision.devices) {
      assert.equal(device.run, false);
      assert.deepEqual(codes(decision, decision.devices.indexOf(device)), [code]);
      assert.match(device.reasons.find((r) => r.code === code)!.message, message);
    }
  });
}

test('rule: outside the weekly schedule names the next window (local time)', { timeout: 120_000 }, () => {
  const week = Array.from({ length: 7 }, () => Array.from({ length: 24 }, () => false));
  week[3]![20] = true; // Wednesday 20:00 local
  const decision = decide(calm(), on({ schedule: { enabled: true, week } }), NOW);
  assert.deepEqual(codes(decision), ['OUTSIDE_SCHEDULE']);
  assert.match(decision.devices[0]!.reasons[0]!.message, /next: Wed 20:00/);
  week[3]![13] = true; // 13:00–14:00 local contains 13:30
  assert.equal(decide(calm(), on({ schedule: { enabled: true, week } }), NOW).devices[0]!.run, true);
});

test('rule: a locked screen counts as away for idle-only', { timeout: 120_000 }, () => {
  assert.equal(decide(calm({ idleSeconds: 5, locked: true }), on({ idleOnly: AWAY_ONLY }), NOW).devices[0]!.run, true);
});

test('rule: a pause that has ended no longer blocks', { timeout: 120_000 }, () => {
  assert.equal(decide(calm(), on({ pausedUntil: NOW - 1 }), NOW).devices[0]!.run, true);
});

test('rule: hot CPU pauses only the CPU, hot GPU only that GPU', { timeout: 120_000 }, () => {
  const hotCpu = decide(calm({ cpu: { cores: 8, otherLoadPercent: 5, ourLoadPercent: 0, tempC: 91 } }), on(), NOW);
  assert.deepEqual(
    hotCpu.devices.map((d) => d.run),
    [false, true],
  );
  assert.match(hotCpu.devices[0]!.reasons[0]!.message, /CPU at 91 °C > 85 °C/);
  const hotGpu = decide(
    calm({
      gpus: [{ id: 'GPU-1', name: 'RTX 4070', tempC: 83, utilizationPercent: 90, ourUtilizationPercent: null, vramTotalMiB: 12288 }],
    }),
    on(),
    NOW,
  );
  assert.deepEqual(
    hotGpu.devices.map((d) => d.run),
    [true, false],
  );
  assert.match(hotGpu.devices[1]!.reasons[0]!.message, /RTX 4070 at 83 °C > 80 °C/);
});

test('rule: a GPU the user switched off, or set to 0 %, does not run; per-GPU settings beat the defaults', { timeout: 120_000 }, () => {
  const off = on({ gpus: { 'GPU-1': { ...DEFAULT_SETTINGS.gpuDefaults, enabled: false } } });
  assert.deepEqual(codes(decide(calm(), off, NOW), 1), ['DEVICE_DISABLED']);
  const zero = on({ gpus: { 'GPU-1': { ...DEFAULT_SETTINGS.gpuDefaults, sharePercent: 0 } } });
  assert.deepEqual(codes(decide(calm(), zero, NOW), 1), ['SHARE_ZERO']);
  const capped = on({ gpus: { 'GPU-1': { ...DEFAULT_SETTINGS.gpuDefaults, sharePercent: 30, vramLimitMiB: 4096 } } });
  assert.deepEqual(decide(calm(), capped, NOW).devices[1]!.limits, {
    threads: 1,
    dutyCycle: 0.3,
    memoryBudgetBytes: Math.floor(16 * 2 ** 30 * 0.4),
    vramBudgetMiB: 4096,
    priority: 'idle',
  });
});

test('limits: CPU share maps to threads and duty cycle; power mode scales and sets priority', { timeout: 120_000 }, () => {
  const limits = (cpuSharePercent: number, mode: Settings['power']['mode'], cores = 8) =>
    decide(
      calm({ cpu: { cores, otherLoadPercent: 0, ourLoadPercent: 0, tempC: 40 } }),
      on({ cpuSharePercent, power: { ...DEFAULT_SETTINGS.power, mode } }),
      NOW,
    ).devices[0]!.limits;
  assert.deepEqual([limits(50, 'balanced').threads, limits(50, 'balanced').dutyCycle], [4, 1]);
  assert.deepEqual([limits(25, 'balanced', 2).threads, limits(25, 'balanced', 2).dutyCycle], [1, 0.5]);
  assert.deepEqual([limits(50, 'efficiency').threads, limits(50, 'efficiency').dutyCycle], [2, 1]);
  assert.equal(limits(50, 'efficiency').priority, 'idle');
  assert.equal(limits(50, 'performance').priority, 'low');
  assert.deepEqual(codes(decide(calm(), on({ cpuSharePercent: 0 }), NOW)), ['SHARE_ZERO']);
});

test('what this OS cannot tell is said, without blocking', { timeout: 120_000 }, () => {
  const decision = decide(
    calm({ fullscreen: null, blockingApps: null, cpu: { cores: 8, otherLoadPercent: null, ourLoadPercent: null, tempC: null } }),
    on({ pauseWhileApps: ['game'] }),
    NOW,
  );
  assert.equal(decision.devices[0]!.run, true);
  assert.equal(decision.devices[0]!.reasons.filter((r) => r.code === 'CANNOT_TELL').length, 3);
});

test('summary: the first blocking reason, or what may work', { timeout: 120_000 }, () => {
  assert.deepEqual(summarize(decide(calm(), on({ sharing: false }), NOW), false).code, 'off');
  assert.deepEqual(summarize(decide(calm({ idleSeconds: 10 }), on({ idleOnly: AWAY_ONLY }), NOW), false), {
    code: 'waiting',
    reason: 'Waiting: 0 of 10 idle minutes.',
  });
  assert.equal(summarize(decide(calm({ suspended: true }), on(), NOW), false).code, 'paused');
  assert.match(summarize(decide(calm(), on(), NOW), false).reason, /Ready: your CPU and GPU may work/);
  assert.equal(summarize(decide(calm(), on(), NOW), true).code, 'working');
});

// ---- properties ----

const signalsArb = fc.record({
  at: fc.constant(NOW),
  utcOffsetMinutes: fc.integer({ min: -720, max: 840 }),
  idleSeconds: fc.option(fc.integer({ min: 0, max: 7200 }), { nil: null }),
  locked: fc.option(fc.boolean(), { nil: null }),
  power: fc.record({
    onBattery: fc.option(fc.boolean(), { nil: null }),
    batteryPercent: fc.option(fc.integer({ min: 0, max: 100 }), { nil: null }),
    charging: fc.option(fc.boolean(), { nil: null }),
    batterySaver: fc.option(fc.boolean(), { nil: null }),
  }),
  cpu: fc.record({
    cores: fc.integer({ min: 1, max: 128 }),
    otherLoadPercent: fc.option(fc.integer({ min: 0, max: 100 }), { nil: null }),
    ourLoadPercent: fc.constant(0),
    tempC: fc.option(fc.integer({ min: 20, max: 110 }), { nil: null }),
  }),
  memory: fc.constant({ totalBytes: 2 ** 34, availableBytes: 2 ** 33 }),
  gpus: fc.array(
    fc.record({
      id: fc.constantFrom('GPU-1', 'GPU-2'),
      name: fc.constant('GPU'),
      tempC: fc.option(fc.integer({ min: 20, max: 110 }), { nil: null }),
      utilizationPercent: fc.constant(null),
      ourUtilizationPercent: fc.constant(null),
      vramTotalMiB: fc.constant(8192),
    }),
    { maxLength: 2 },
  ),
  blockingApps: fc.option(fc.array(fc.constantFrom('steam', 'blender'), { maxLength: 2 }), { nil: null }),
  fullscreen: fc.option(fc.boolean(), { nil: null }),
  suspended: fc.boolean(),
});
const settingsArb = fc
  .record({
    sharing: fc.boolean(),
    cpuSharePercent: fc.integer({ min: 0, max: 100 }),
    idleOnly: fc.record({ enabled: fc.boolean(), minutes: fc.integer({ min: 1, max: 240 }) }),
    pauseWhenUserCpuAbovePercent: fc.option(fc.integer({ min: 5, max: 100 }), { nil: null }),
    power: fc.record({
      pauseOnBattery: fc.boolean(),
      minBatteryPercent: fc.integer({ min: 0, max: 100 }),
      chargingOnly: fc.boolean(),
      mode: fc.constantFrom('efficiency', 'balanced', 'performance'),
    }),
    pausedUntil: fc.option(fc.integer({ min: NOW - 7200_000, max: NOW + 7200_000 }), { nil: null }),
    pauseWhileApps: fc.array(fc.constantFrom('steam', 'blender'), { maxLength: 2 }),
    pauseWhileFullscreen: fc.boolean(),
  })
  .map((over) => ({ ...DEFAULT_SETTINGS, ...over }) as Settings);

test('property: nothing runs while any blocking condition holds', { timeout: 120_000 }, () => {
  fc.assert(
    fc.property(signalsArb, settingsArb, (signals, settings) => {
      const decision = decide(signals, settings, NOW);
      const anyRuns = decision.devices.some((d) => d.run);
      const away = signals.locked === true || (signals.idleSeconds !== null && signals.idleSeconds >= settings.idleOnly.minutes * 60);
      const blocked =
        !settings.sharing ||
        signals.suspended ||
        (settings.pausedUntil !== null && settings.pausedUntil > NOW) ||
        (settings.idleOnly.enabled && !away) ||
        (signals.power.onBattery === true && settings.power.pauseOnBattery) ||
        (settings.power.chargingOnly && signals.power.onBattery === true) ||
        signals.power.batterySaver === true ||
        (settings.pauseWhenUserCpuAbovePercent !== null && (signals.cpu.otherLoadPercent ?? 0) > settings.pauseWhenUserCpuAbovePercent) ||
        (settings.pauseWhileApps.length > 0 && (signals.blockingApps?.length ?? 0) > 0) ||
        (settings.pauseWhileFullscreen && signals.fullscreen === true);
      if (blocked) assert.equal(anyRuns, false);
      for (const device of decision.devices)
        assert.equal(
          device.run,
          device.reasons.every((r) => !r.blocking),
        );
      const cpu = decision.devices[0]!;
      if (signals.cpu.tempC !== null && signals.cpu.tempC > settings.thermal.maxCpuC) assert.equal(cpu.run, false);
    }),
    { numRuns: 2000 },
  );
});

test('property: thermal hysteresis — resume only below limit − hysteresis, pause only above the limit', { timeout: 120_000 }, () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 70, max: 95 }), { minLength: 2, maxLength: 60 }), (temps) => {
      const settings = on();
      const { maxCpuC, hysteresisC } = settings.thermal;
      let previous: Decision | undefined;
      for (const tempC of temps) {
        const decision = decide(calm({ cpu: { cores: 8, otherLoadPercent: 0, ourLoadPercent: 0, tempC } }), settings, NOW, previous);
        const was = previous?.devices[0]!.run;
        const now = decision.devices[0]!.run;
        if (was === false && now) assert.ok(tempC < maxCpuC - hysteresisC, `resumed at ${tempC}`);
        if (was === true && !now) assert.ok(tempC > maxCpuC, `paused at ${tempC}`);
        previous = decision;
      }
    }),
    { numRuns: 500 },
  );
});

test("property: other programs' CPU load hysteresis stops flapping at the threshold", { timeout: 120_000 }, () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 40, max: 80 }), { minLength: 2, maxLength: 60 }), (loads) => {
      const settings = on();
      const limit = settings.pauseWhenUserCpuAbovePercent!;
      let previous: Decision | undefined;
      for (const otherLoadPercent of loads) {
        const decision = decide(calm({ cpu: { cores: 8, otherLoadPercent, ourLoadPercent: 0, tempC: 40 } }), settings, NOW, previous);
        const was = previous?.devices[0]!.run;
        const now = decision.devices[0]!.run;
        if (was === false && now) assert.ok(otherLoadPercent < limit - 10);
        if (was === true && !now) assert.ok(otherLoadPercent > limit);
        previous = decision;
      }
    }),
    { numRuns: 500 },
  );
});

test('effectiveShare: one rule for policy and estimate; efficiency mode halves the share of every device', { timeout: 120_000 }, () => {
  const efficiency = on({
    cpuSharePercent: 50,
    power: { ...DEFAULT_SETTINGS.power, mode: 'efficiency' },
    gpus: { 'GPU-1': { ...DEFAULT_SETTINGS.gpuDefaults, sharePercent: 80 } },
  });
  assert.equal(effectiveShare(efficiency, 'cpu'), 0.25);
  assert.equal(effectiveShare(efficiency, 'GPU-1'), 0.4);
  assert.equal(
    effectiveShare(efficiency, 'GPU-unknown'),
    (DEFAULT_SETTINGS.gpuDefaults.sharePercent / 100) * 0.5,
    'a GPU without its own settings takes the defaults',
  );
  const decision = decide(calm({ cpu: { cores: 8, otherLoadPercent: 0, ourLoadPercent: 0, tempC: 40 } }), efficiency, NOW);
  const cpu = decision.devices[0]!.limits;
  assert.equal(cpu.threads * cpu.dutyCycle, 8 * effectiveShare(efficiency, 'cpu'), 'CPU limits give 8 cores × the effective share');
  assert.equal(decision.devices[1]!.limits.dutyCycle, effectiveShare(efficiency, 'GPU-1'));
});

/**
 * Readings that sit at a threshold, one policy tick each, with what must follow: exactly at the limit is not over;
 * over pauses; back at the limit stays paused; only past the margin resumes. [what, readings, runs after each]
 */
const thresholdTables: [string, (reading: number) => { signals: Partial<Signals>; settings?: Partial<Settings> }, number[], boolean[]][] = [
  [
    "other programs' CPU at the 60 % limit (margin 10)",
    (load) => ({ signals: { cpu: { cores: 8, otherLoadPercent: load, ourLoadPercent: 0, tempC: 40 } } }),
    [60, 60.4, 59.6, 60.5, 60, 55, 50, 49.4, 60, 60.4],
    [true, true, true, false, false, false, false, true, true, true],
  ],
  [
    'CPU temperature at the 85 °C limit (hysteresis 5)',
    (tempC) => ({ signals: { cpu: { cores: 8, otherLoadPercent: 0, ourLoadPercent: 0, tempC } } }),
    [85, 85.4, 86, 85, 80, 79.4, 85],
    [true, true, false, false, false, true, true],
  ],
  [
    'battery at the 50 % limit (margin 5), sharing allowed on battery',
    (batteryPercent) => ({
      signals: { power: { onBattery: true, batteryPercent, charging: false, batterySaver: false } },
      settings: { power: { ...DEFAULT_SETTINGS.power, pauseOnBattery: false } },
    }),
    [50, 49.6, 49, 50, 55, 55.6, 50],
    [true, true, false, false, false, true, true],
  ],
];
for (const [what, reading, readings, runs] of thresholdTables) {
  test(`hysteresis: ${what}`, { timeout: 120_000 }, () => {
    let previous: Decision | undefined;
    const seen = readings.map((value) => {
      const { signals, settings } = reading(value);
      previous = decide(calm(signals), on(settings), NOW, previous);
      return previous.devices[0]!.run;
    });
    assert.deepEqual(seen, runs);
  });
}

test('hysteresis: a GPU at its temperature limit does not flap', { timeout: 120_000 }, () => {
  let previous: Decision | undefined;
  const runs = [80, 80.4, 81, 80, 76, 75, 74, 80].map((tempC) => {
    previous = decide(
      calm({ gpus: [{ id: 'GPU-1', name: 'RTX 4070', tempC, utilizationPercent: 90, ourUtilizationPercent: null, vramTotalMiB: 12288 }] }),
      on(),
      NOW,
      previous,
    );
    return previous.devices[1]!.run;
  });
  assert.deepEqual(runs, [true, true, false, false, false, false, true, true]);
});

test('hysteresis: a load jittering around the limit flips the state at most once', { timeout: 120_000 }, () => {
  let previous: Decision | undefined;
  let flips = 0;
  for (const load of [59, 61, 59, 62, 58, 61, 60, 59, 61, 58, 61, 60]) {
    const next = decide(calm({ cpu: { cores: 8, otherLoadPercent: load, ourLoadPercent: 0, tempC: 40 } }), on(), NOW, previous);
    if (previous && previous.devices[0]!.run !== next.devices[0]!.run) flips++;
    previous = next;
  }
  assert.equal(flips, 1);
});

test(
  'wording: at exactly the limit nothing says it is over; above it, the message names the load and the limit',
  { timeout: 120_000 },
  () => {
    const at = (load: number, previous?: Decision) =>
      decide(calm({ cpu: { cores: 8, otherLoadPercent: load, ourLoadPercent: 0, tempC: 40 } }), on(), NOW, previous);
    assert.deepEqual(codes(at(60)), []);
    assert.deepEqual(codes(at(60.4)), [], '60.4 % is shown as 60 %, so it is not over');
    const over = at(60.6);
    assert.match(over.devices[0]!.reasons[0]!.message, /^Paused: your programs use 61 % CPU \(> 60 %\)\.$/);
    assert.match(at(60, over).devices[0]!.reasons[0]!.message, /^Paused: your programs use 60 % CPU \(resumes below 50 %\)\.$/);
    const hot = decide(calm({ cpu: { cores: 8, otherLoadPercent: 0, ourLoadPercent: 0, tempC: 90 } }), on(), NOW);
    assert.match(
      decide(calm({ cpu: { cores: 8, otherLoadPercent: 0, ourLoadPercent: 0, tempC: 85 } }), on(), NOW, hot).devices[0]!.reasons[0]!
        .message,
      /cooling down, 85 °C \(resumes below 80 °C\)/,
    );
  },
);
