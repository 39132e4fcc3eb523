import type { Device, HardwareSnapshot } from '../../common/hardware.js';
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

/** The seed's DeviceType as the protocol spells it; counts a driver did not tell go out as 0. */
function protocolType(type: Device['type']): DeviceInfo['deviceType'] {
  switch (type.kind) {
    case 'Cpu':
      return { kind: 'cpu', vendor: type.vendor, cores: type.cores, threads: type.threads, avx: type.avxSupport };
    case 'ConsumerGpu':
      return { kind: 'consumer-gpu', model: type.model, vramGb: type.vramGb };
    case 'DataCenterGpu':
      return { kind: 'data-center-gpu', model: type.model, vramGb: type.vramGb, tensorCores: type.tensorCores ?? 0 };
    case 'AppleSilicon':
      return {
        kind: 'apple-silicon',
        chip: type.chip,
        gpuCores: type.gpuCores ?? 0,
        neuralEngineCores: type.neuralEngineCores ?? 0,
        unifiedMemoryGb: type.unifiedMemoryGb,
      };
  }
}

/**
 * What this machine registers as: the device the scheduler has a lane for that earns most, i.e. its first GPU lane,
 * else its processor (scheduler/lanes.ts). Figures not measured yet go out as 0 rather than invented; the link's
 * figures are the network client's own measure (link-meter.ts).
 */
export function deviceInfo(
  snapshot: HardwareSnapshot,
  settings: Settings,
  utcOffsetMinutes: number,
  registered = 'cpu',
): Omit<DeviceInfo, 'deviceId' | 'owner' | 'network'> {
  const device = snapshot.devices.find((d) => d.id === registered);
  if (!device) throw new Error(`the hardware snapshot has no device ${registered}`);
  const c = device.capabilities;
  return {
    deviceType: protocolType(device.type),
    compute: {
      fp32Gflops: c.fp32Gflops ?? 0,
      fp16Gflops: c.fp16Gflops ?? 0,
      int8Tops: c.int8Tops ?? 0,
      memoryBandwidthGbps: c.memoryBandwidthGbps ?? 0,
      memoryGb: c.memoryGb,
      frameworks: c.frameworks,
      modelFormats: c.modelFormats,
    },
    availability: availability(settings, utcOffsetMinutes),
  };
}
