import type { HardwareSnapshot } from '../../common/hardware.js';
import type { AvailabilitySchedule, DeviceInfo } from '../../common/protocol.js';
import type { Settings, WeekGrid } from '../../common/settings.js';

/**
 * The seed's AvailabilitySchedule `hours` are daily UTC ranges; the user paints a weekly grid in local time.
 * An hour is offered when it is ticked on every day (the network cannot express weekdays), shifted to UTC.
 */
export function utcHours(week: WeekGrid, utcOffsetMinutes: number): [number, number][] {
  const shift = Math.round(utcOffsetMinutes / 60);
  const utc = Array.from({ length: 24 }, (_, h) => week.every((day) => day[(((h + shift) % 24) + 24) % 24]));
  const ranges: [number, number][] = [];
  utc.forEach((on, h) => {
    if (!on) return;
    const last = ranges.at(-1);
    if (last && last[1] === h) last[1] = h + 1;
    else ranges.push([h, h + 1]);
  });
  return ranges;
}

export function availability(settings: Settings, utcOffsetMinutes: number): AvailabilitySchedule {
  const { schedule, idleOnly, power } = settings;
  return {
    always: !schedule.enabled && !idleOnly.enabled && !power.chargingOnly,
    hours: schedule.enabled ? utcHours(schedule.week, utcOffsetMinutes) : null,
    idleOnly: idleOnly.enabled,
    chargingOnly: power.chargingOnly,
    minBattery: power.pauseOnBattery ? null : power.minBatteryPercent,
  };
}

/**
 * What this machine registers as: its processor, since the runtime runs tasks on the CPU execution provider.
 * Network figures are not measured yet and go out as 0 / 'unknown' rather than invented.
 */
export function deviceInfo(snapshot: HardwareSnapshot, settings: Settings, utcOffsetMinutes: number): Omit<DeviceInfo, 'deviceId' | 'owner'> {
  const cpu = snapshot.devices.find((device) => device.type.kind === 'Cpu');
  if (!cpu || cpu.type.kind !== 'Cpu') throw new Error('the hardware snapshot has no processor');
  const c = cpu.capabilities;
  return {
    deviceType: { kind: 'cpu', vendor: cpu.type.vendor, cores: cpu.type.cores, threads: cpu.type.threads, avx: cpu.type.avxSupport },
    compute: {
      fp32Gflops: c.fp32Gflops ?? 0,
      fp16Gflops: c.fp16Gflops ?? 0,
      int8Tops: c.int8Tops ?? 0,
      memoryBandwidthGbps: c.memoryBandwidthGbps ?? 0,
      memoryGb: c.memoryGb,
      frameworks: c.frameworks,
      modelFormats: c.modelFormats,
    },
    network: { downloadMbps: 0, uploadMbps: 0, edgeLatencyMs: 0, natType: 'unknown' },
    availability: availability(settings, utcOffsetMinutes),
  };
}
