/** Live GPU readings for whoever listens: the probe is sampled on a timer only while someone is subscribed. */
import type { HardwareReport, Telemetry } from '../../common/hardware.js';
import { errorText } from '../../common/result.js';
import type { Clock, Logger } from '../ports.js';
import { allGpus, deviceId } from './classify.js';

export class TelemetrySampler {
  private readonly listeners = new Set<(telemetry: Telemetry) => void>();
  private stop: (() => void) | null = null;
  private sampling = false;

  constructor(
    private readonly detect: () => Promise<HardwareReport>,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly intervalMs: number,
  ) {}

  subscribe(listener: (telemetry: Telemetry) => void): () => void {
    this.listeners.add(listener);
    if (!this.sampling) {
      this.sampling = true;
      void this.sample();
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0 && this.stop) {
        this.stop();
        this.stop = null;
        this.sampling = false;
      }
    };
  }

  private async sample(): Promise<void> {
    this.stop = null;
    try {
      const report = await this.detect();
      const gpus = allGpus(report).map((gpu) => ({
        id: deviceId(gpu),
        utilizationPercent: gpu.utilizationPercent,
        memoryUsedBytes: gpu.memoryUsedBytes,
        temperatureC: gpu.temperatureC,
        powerDrawW: gpu.powerDrawW,
      }));
      const telemetry: Telemetry = { at: this.clock.now(), gpus };
      for (const listener of this.listeners) listener(telemetry);
    } catch (error) {
      this.logger.warn(`hardware telemetry sample failed: ${errorText(error)}`);
    }
    if (this.listeners.size > 0) this.stop = this.clock.after(this.intervalMs, () => void this.sample());
    else this.sampling = false;
  }
}
