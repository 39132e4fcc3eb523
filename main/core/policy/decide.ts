import {
  CPU_DEVICE_ID,
  type Decision,
  type DeviceDecision,
  type Limits,
  type Reason,
  type ReasonCode,
  type Signals,
} from '../../common/policy.js';
import type { GpuSettings, Settings, WeekGrid } from '../../common/settings.js';
import type { Status } from '../../common/state.js';
import { aboveLimit, belowLimit } from './hysteresis.js';
import { effectiveShare, POWER_MODES } from './share.js';

/** Other programs' CPU must fall this far below the limit before we resume, so we do not flap. */
const USER_CPU_MARGIN = 10;
/** Once paused for a low battery, it must charge this far above the limit before we resume. */
const BATTERY_MARGIN = 5;
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

const block = (code: ReasonCode, message: string): Reason => ({ code, message, blocking: true });
const note = (message: string): Reason => ({ code: 'CANNOT_TELL', message, blocking: false });
const pad = (n: number): string => String(n).padStart(2, '0');

/** Local wall-clock parts of `at`, from the offset the monitor measured (keeps decide() pure). */
function local(at: number, utcOffsetMinutes: number) {
  const d = new Date(at + utcOffsetMinutes * 60_000);
  return { day: d.getUTCDay(), hour: d.getUTCHours(), time: `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}` };
}

function nextWindow(week: WeekGrid, day: number, hour: number): string | null {
  for (let ahead = 1; ahead <= 7 * 24; ahead++) {
    const d = (day + Math.floor((hour + ahead) / 24)) % 7;
    const h = (hour + ahead) % 24;
    if (week[d]?.[h]) return `${DAYS[d]} ${pad(h)}:00`;
  }
  return null;
}

const hadReason = (previous: DeviceDecision | undefined, code: ReasonCode): boolean =>
  previous?.reasons.some((reason) => reason.code === code) ?? false;
const anyHad = (previous: Decision | undefined, code: ReasonCode): boolean =>
  previous?.devices.some((device) => hadReason(device, code)) ?? false;

/** Reasons that hold for every device: the user's switches, the clock, presence, power, other programs. */
function machineReasons(signals: Signals, settings: Settings, now: number, previous: Decision | undefined): Reason[] {
  const reasons: Reason[] = [];
  const { day, hour } = local(now, signals.utcOffsetMinutes);
  if (!settings.sharing) reasons.push(block('SHARING_OFF', 'Sharing is off. Turn it on to contribute your spare computer power.'));
  if (signals.suspended) reasons.push(block('SUSPENDED', 'Paused: the computer is going to sleep.'));
  if (settings.pausedUntil !== null && settings.pausedUntil > now) {
    reasons.push(block('PAUSED_UNTIL', `Paused until ${local(settings.pausedUntil, signals.utcOffsetMinutes).time}, as you asked.`));
  }
  if (settings.schedule.enabled && !settings.schedule.week[day]?.[hour]) {
    const next = nextWindow(settings.schedule.week, day, hour);
    reasons.push(block('OUTSIDE_SCHEDULE', `Waiting: outside your schedule${next ? ` (next: ${next})` : ' (no hours are ticked)'}.`));
  }
  if (settings.idleOnly.enabled && signals.locked !== true) {
    const needed = settings.idleOnly.minutes;
    if (signals.idleSeconds === null) {
      reasons.push(
        block(
          'IDLE_UNKNOWN',
          'Waiting: this system does not report idle time, so "only when I am away" cannot be honoured. Turn it off to share.',
        ),
      );
    } else if (signals.idleSeconds < needed * 60) {
      reasons.push(block('WAITING_FOR_IDLE', `Waiting: ${Math.floor(signals.idleSeconds / 60)} of ${needed} idle minutes.`));
    }
  }
  const { power } = signals;
  const battery = power.batteryPercent === null ? '' : `, ${Math.round(power.batteryPercent)} %`;
  if (power.onBattery && settings.power.pauseOnBattery) {
    reasons.push(block('ON_BATTERY', `Paused: on battery${battery}.`));
  } else if (power.onBattery && power.batteryPercent !== null) {
    const min = settings.power.minBatteryPercent;
    const wasLow = anyHad(previous, 'BATTERY_LOW');
    if (belowLimit(power.batteryPercent, min, BATTERY_MARGIN, wasLow)) {
      const charging = wasLow && Math.round(power.batteryPercent) >= min;
      reasons.push(
        block(
          'BATTERY_LOW',
          charging ? `Paused: on battery${battery} (resumes above ${min + BATTERY_MARGIN} %).` : `Paused: on battery${battery} < ${min} %.`,
        ),
      );
    }
  }
  if (settings.power.chargingOnly) {
    if (power.onBattery === null) reasons.push(note('This system does not report whether it is plugged in.'));
    else if (power.onBattery) reasons.push(block('NOT_CHARGING', 'Waiting: you share only while plugged in.'));
  }
  if (power.batterySaver) reasons.push(block('BATTERY_SAVER', 'Paused: battery saver is on.'));
  const limit = settings.pauseWhenUserCpuAbovePercent;
  if (limit !== null) {
    const other = signals.cpu.otherLoadPercent;
    const wasBusy = anyHad(previous, 'USER_BUSY');
    if (other === null) reasons.push(note('This system does not report CPU load.'));
    else if (aboveLimit(other, limit, USER_CPU_MARGIN, wasBusy)) {
      const load = Math.round(other);
      reasons.push(
        block(
          'USER_BUSY',
          load > limit
            ? `Paused: your programs use ${load} % CPU (> ${limit} %).`
            : `Paused: your programs use ${load} % CPU (resumes below ${limit - USER_CPU_MARGIN} %).`,
        ),
      );
    }
  }
  if (settings.pauseWhileApps.length > 0) {
    if (signals.blockingApps === null) reasons.push(note('This system does not tell which programs are running.'));
    else if (signals.blockingApps.length > 0) reasons.push(block('APP_RUNNING', `Paused: ${signals.blockingApps.join(', ')} is running.`));
  }
  if (settings.pauseWhileFullscreen) {
    if (signals.fullscreen === null) reasons.push(note('This system does not tell when a program is full screen.'));
    else if (signals.fullscreen) reasons.push(block('FULLSCREEN', 'Paused: a program is full screen.'));
  }
  return reasons;
}

/** Above the limit pauses; once paused, only cooling below limit − hysteresis resumes. */
function heat(
  what: string,
  code: 'CPU_HOT' | 'GPU_HOT',
  tempC: number | null,
  maxC: number,
  hysteresisC: number,
  wasHot: boolean,
): Reason | null {
  if (tempC === null || !aboveLimit(tempC, maxC, hysteresisC, wasHot)) return null;
  const t = Math.round(tempC);
  return t > maxC
    ? block(code, `Paused: ${what} at ${t} °C > ${maxC} °C.`)
    : block(code, `Paused: ${what} cooling down, ${t} °C (resumes below ${maxC - hysteresisC} °C).`);
}

/**
 * The whole policy: for each device, whether to work now, within which limits, and why.
 * Pure: the same signals, settings, time and previous decision give the same answer.
 */
export function decide(signals: Signals, settings: Settings, now: number, previous?: Decision): Decision {
  const shared = machineReasons(signals, settings, now, previous);
  const { priority } = POWER_MODES[settings.power.mode];
  const memoryBudgetBytes = Math.floor((signals.memory.totalBytes * settings.memorySharePercent) / 100);
  const before = (id: string) => previous?.devices.find((device) => device.deviceId === id);
  const finish = (deviceId: string, kind: DeviceDecision['kind'], limits: Limits, own: (Reason | null)[]): DeviceDecision => {
    const reasons = [...shared, ...own.filter((reason): reason is Reason => reason !== null)];
    return { deviceId, kind, run: reasons.every((reason) => !reason.blocking), limits, reasons };
  };

  const cores = signals.cpu.cores;
  const share = effectiveShare(settings, CPU_DEVICE_ID);
  const threads = share > 0 ? Math.max(1, Math.ceil(cores * share)) : 0;
  const cpu = finish(
    CPU_DEVICE_ID,
    'cpu',
    { threads, dutyCycle: threads > 0 ? Math.min(1, (cores * share) / threads) : 0, memoryBudgetBytes, vramBudgetMiB: null, priority },
    [
      settings.cpuEnabled ? null : block('DEVICE_DISABLED', 'You turned sharing off for the processor.'),
      settings.cpuEnabled && settings.cpuSharePercent === 0 ? block('SHARE_ZERO', 'CPU share is set to 0 %.') : null,
      heat(
        'CPU',
        'CPU_HOT',
        signals.cpu.tempC,
        settings.thermal.maxCpuC,
        settings.thermal.hysteresisC,
        hadReason(before(CPU_DEVICE_ID), 'CPU_HOT'),
      ),
    ],
  );

  const gpus = signals.gpus.map((gpu) => {
    const own: GpuSettings = settings.gpus[gpu.id] ?? settings.gpuDefaults;
    const duty = effectiveShare(settings, gpu.id);
    return finish(
      gpu.id,
      'gpu',
      { threads: 1, dutyCycle: duty, memoryBudgetBytes, vramBudgetMiB: own.vramLimitMiB ?? gpu.vramTotalMiB, priority },
      [
        own.enabled ? null : block('DEVICE_DISABLED', `You turned sharing off for ${gpu.name}.`),
        own.enabled && own.sharePercent === 0 ? block('SHARE_ZERO', `${gpu.name} share is set to 0 %.`) : null,
        heat(gpu.name, 'GPU_HOT', gpu.tempC, own.maxTempC, settings.thermal.hysteresisC, hadReason(before(gpu.id), 'GPU_HOT')),
      ],
    );
  });

  return { at: now, devices: [cpu, ...gpus] };
}

/** Reasons that wait for something to come (a time, idleness, a plug), rather than pause for something present. */
const WAITING_REASONS: ReadonlySet<ReasonCode> = new Set(['OUTSIDE_SCHEDULE', 'WAITING_FOR_IDLE', 'IDLE_UNKNOWN', 'NOT_CHARGING']);

/** One line for the dashboard and the tray: the first blocking reason, or what the devices may do. */
export function summarize(decision: Decision, busy: boolean): Status {
  const running = decision.devices.filter((device) => device.run);
  if (running.length > 0) {
    const names = [...new Set(running.map((device) => (device.kind === 'cpu' ? 'CPU' : 'GPU')))].join(' and ');
    return busy
      ? { code: 'working', reason: `Working: running tasks on your ${names}.` }
      : { code: 'waiting', reason: `Ready: your ${names} may work; waiting for tasks from the network.` };
  }
  const first = decision.devices.flatMap((device) => device.reasons).find((reason) => reason.blocking);
  if (!first || first.code === 'SHARING_OFF') return { code: 'off', reason: first?.message ?? 'Sharing is off.' };
  return { code: WAITING_REASONS.has(first.code) ? 'waiting' : 'paused', reason: first.message };
}
