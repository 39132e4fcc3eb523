import { gpuSplit, HISTORY_INTERVAL_MS, HISTORY_POINTS, type DeviceHistory, type DevicePoint } from '../../common/device-history.js';
import { CPU_DEVICE_ID, type Signals } from '../../common/policy.js';
import type { LaneView } from '../scheduler/types.js';

/** What the scheduler's lanes have finished so far (counts since its start; a new scheduler starts again at 0). */
export type LaneCounts = Pick<LaneView, 'id' | 'finished' | 'operations'>;

interface Reading {
  ours: number | null;
  other: number | null;
  tempC: number | null;
}

/** A running mean that leaves unreported readings out: null when nothing was reported. */
class Mean {
  private sum = 0;
  private count = 0;
  add(value: number | null): void {
    if (value === null) return;
    this.sum += value;
    this.count += 1;
  }
  get value(): number | null {
    return this.count === 0 ? null : this.sum / this.count;
  }
}

interface Track {
  points: DevicePoint[];
  ours: Mean;
  other: Mean;
  tempC: Mean;
  /** The lane's counts when the interval under way began. */
  counted: { finished: number; operations: number };
}

const since = (now: number, before: number): number => (now >= before ? now - before : now); // below: a new scheduler

/**
 * Each device's figures over the last hour, kept in the agent so the page can show them whenever it opens: the
 * monitor's samples (every 1 to 5 s) averaged into one point per interval, and the tasks the scheduler finished in it.
 * Bounded: `size` points per device, the oldest dropped.
 */
export class DeviceHistoryRecorder {
  private readonly tracks = new Map<string, Track>();
  private intervalStart: number | undefined;

  constructor(
    private readonly intervalMs = HISTORY_INTERVAL_MS,
    private readonly size = HISTORY_POINTS,
  ) {}

  /** One monitor sample, with the lanes' counts read at the same time. */
  record(signals: Signals, lanes: readonly LaneCounts[]): void {
    const readings: [string, Reading][] = [
      [CPU_DEVICE_ID, { ours: signals.cpu.ourLoadPercent, other: signals.cpu.otherLoadPercent, tempC: signals.cpu.tempC }],
      ...signals.gpus.map((gpu): [string, Reading] => [gpu.id, { ...gpuSplit(gpu), tempC: gpu.tempC }]),
    ];
    const counts = (id: string) => lanes.find((lane) => lane.id === id) ?? { finished: 0, operations: 0 };
    this.intervalStart ??= signals.at;
    for (const [id, reading] of readings) {
      const track = this.tracks.get(id) ?? this.open(id, counts(id));
      track.ours.add(reading.ours);
      track.other.add(reading.other);
      track.tempC.add(reading.tempC);
    }
    const elapsedMs = signals.at - this.intervalStart;
    if (elapsedMs < this.intervalMs) return;
    for (const [id, track] of this.tracks) this.close(id, track, signals.at, elapsedMs, counts(id));
    this.intervalStart = signals.at;
  }

  view(): DeviceHistory {
    return {
      intervalMs: this.intervalMs,
      devices: [...this.tracks].map(([deviceId, track]) => ({ deviceId, points: [...track.points] })),
    };
  }

  private open(id: string, counted: Track['counted']): Track {
    const track: Track = { points: [], ours: new Mean(), other: new Mean(), tempC: new Mean(), counted: { ...counted } };
    this.tracks.set(id, track);
    return track;
  }

  private close(id: string, track: Track, at: number, elapsedMs: number, now: Track['counted']): void {
    track.points.push({
      at,
      tasks: since(now.finished, track.counted.finished),
      flopsPerSecond: since(now.operations, track.counted.operations) / (elapsedMs / 1000),
      oursPercent: track.ours.value,
      otherPercent: track.other.value,
      tempC: track.tempC.value,
    });
    if (track.points.length > this.size) track.points.shift();
    this.tracks.set(id, { points: track.points, ours: new Mean(), other: new Mean(), tempC: new Mean(), counted: { ...now } });
  }
}
