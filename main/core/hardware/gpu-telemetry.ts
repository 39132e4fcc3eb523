import type { Telemetry } from '../../common/hardware.js';
import type { Signals } from '../../common/policy.js';
import type { HardwareService } from './service.js';

/**
 * The GPU readings the policy decides on. GPU temperatures feed the thermal policy, so GPUs are sampled while
 * sharing, and only then, and only if there are any.
 */
export class GpuTelemetry {
  private latest: Telemetry | null = null;
  private unsubscribe: (() => void) | null = null;

  constructor(private readonly hardware: HardwareService) {}

  /** Samples while `sharing` and the machine has a GPU; stops otherwise. */
  follow(sharing: boolean): void {
    const gpus = this.hardware.snapshot()?.devices.some((device) => device.type.kind !== 'Cpu') ?? false;
    const wanted = sharing && gpus;
    if (wanted && !this.unsubscribe) this.unsubscribe = this.hardware.subscribeTelemetry((t) => (this.latest = t));
    if (!wanted && this.unsubscribe) this.stop();
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = this.latest = null;
  }

  signals(): Signals['gpus'] {
    return (this.hardware.snapshot()?.devices ?? [])
      .filter((device) => device.type.kind !== 'Cpu')
      .map((device) => {
        const live = this.latest?.gpus.find((g) => g.id === device.id);
        return {
          id: device.id,
          name: device.name,
          tempC: live?.temperatureC ?? null,
          utilizationPercent: live?.utilizationPercent ?? null,
          ourUtilizationPercent: null, // the monitor measures it
          vramTotalMiB: device.capabilities.memoryGb * 1024,
        };
      });
  }
}
