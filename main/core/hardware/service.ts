import { createHash } from 'node:crypto';
import type { BenchmarkProgress, HardwareReport, HardwareSnapshot, ProfileStatus, Telemetry } from '../../common/hardware.js';
import { errorText, ok, type Result } from '../../common/result.js';
import { webGpuProfile, type AdapterInfo, type WebGpuReport } from '../../common/webgpu.js';
import type { Clock, Logger } from '../ports.js';
import type { BenchmarkOptions } from './benchmark.js';
import { measureCpuInChild } from './benchmark-process.js';
import { allGpus, classify, deviceId, type CpuMeasurement } from './classify.js';
import { EMPTY, ProfileCache, type CpuProfile, type Entry } from './profile-cache.js';
import { TelemetrySampler } from './telemetry.js';
import type { HardwareProbe } from './probe.js';

export interface HardwareServiceOptions {
  probe: HardwareProbe;
  /** Wall time for records, timers for telemetry sampling. */
  clock: Clock;
  logger: Logger;
  /** Folder of hardware-profile.json (the data dir). */
  cacheDir: string;
  telemetryIntervalMs?: number;
  /** Measure by itself when the hardware has no cached profile yet (new machine, new GPU, new driver). */
  autoBenchmark?: boolean;
  benchmark?: Omit<BenchmarkOptions, 'onProgress'>;
}

export interface HardwareService {
  /** The last detection; null before the first refresh() finished. */
  snapshot(): HardwareSnapshot | null;
  /** Detects again (e.g. on start, on resume, on request). Concurrent calls share one detection. */
  refresh(): Promise<HardwareSnapshot>;
  /** Measures the CPU now and caches the profile under the current fingerprint. Concurrent calls share one run. */
  benchmark(onProgress?: (progress: BenchmarkProgress) => void): Promise<HardwareSnapshot>;
  /**
   * Takes a WebGPU benchmark report (renderer/src/lib/gpu; parsed at the command boundary) as the measured profile of the GPU
   * it ran on. Reports from software adapters, failed runs, or adapters that match no single detected GPU are
   * declined with the reason.
   */
  acceptWebGpuReport(report: WebGpuReport): Promise<Result<{ deviceId: string | null; note: string }>>;
  /** Every new snapshot: detections, benchmark start, progress and result. */
  subscribe(listener: (snapshot: HardwareSnapshot) => void): () => void;
  /** Live readings; the probe is sampled only while at least one listener is subscribed. */
  subscribeTelemetry(listener: (telemetry: Telemetry) => void): () => void;
}

/** What identifies this hardware and its drivers; live readings (use, temperature, power) stay out. */
export function fingerprint(report: HardwareReport): string {
  const { cpu, vendors } = report;
  const identity = {
    cpu: [cpu.vendor, cpu.model, cpu.arch, cpu.cores, cpu.threads, cpu.features],
    memoryGiB: Math.round(report.memoryBytes / 1024 ** 3),
    vendors: Object.entries(vendors).map(([name, v]) => [
      name,
      v.status,
      v.driverVersion,
      v.runtimeVersion,
      v.gpus.map((g) => [g.name, g.uuid, g.pciBusId, g.memoryTotalBytes, g.computeCapability, g.error?.code ?? null]),
    ]),
  };
  return createHash('sha256').update(JSON.stringify(identity)).digest('hex').slice(0, 16);
}

/**
 * The detected GPU a WebGPU adapter is: the only working GPU of the adapter's vendor, or among several, the one
 * whose name the adapter's description carries. null when that does not single one out.
 */
export function adapterDevice(report: HardwareReport, adapter: AdapterInfo): string | null {
  const vendor = adapter.vendor.toLowerCase();
  const sameVendor = allGpus(report).filter((g) => !g.error && vendor.includes(g.vendor));
  const named = sameVendor.filter((g) => g.name && `${adapter.description} ${adapter.name}`.toLowerCase().includes(g.name.toLowerCase()));
  const [only] = sameVendor.length === 1 ? sameVendor : named.length === 1 ? named : [];
  return only ? deviceId(only) : null;
}

/** A snapshot of `report` with the measured profile `entry` of fingerprint `print`. */
function build(
  probe: HardwareProbe,
  clock: Clock,
  report: HardwareReport,
  print: string,
  entry: Entry,
  status: Omit<ProfileStatus, 'measuredAt' | 'durationMs'>,
): HardwareSnapshot {
  return {
    provider: probe.provider,
    detectedAt: clock.now(),
    fingerprint: print,
    report,
    devices: classify(report, entry.cpu?.cpu ?? null, entry.gpus),
    profile: { ...status, measuredAt: entry.cpu?.measuredAt ?? null, durationMs: entry.cpu?.durationMs ?? null },
  };
}

export function createHardwareService(options: HardwareServiceOptions): HardwareService {
  const { probe, clock, logger } = options;
  const listeners = new Set<(snapshot: HardwareSnapshot) => void>();
  const profiles = new ProfileCache(options.cacheDir, logger);
  const telemetry = new TelemetrySampler(detectReport, clock, logger, options.telemetryIntervalMs ?? 2000);
  let current: HardwareSnapshot | null = null;
  let detecting: Promise<HardwareSnapshot> | null = null;
  let measuring: Promise<HardwareSnapshot> | null = null;

  function publish(snapshot: HardwareSnapshot): HardwareSnapshot {
    current = snapshot;
    for (const listener of listeners) listener(snapshot);
    return snapshot;
  }

  /** One detection; a probe that changed provider on the way (its driver child failed: isolated-probe.ts) is logged. */
  async function detectReport(): Promise<HardwareReport> {
    const before = probe.provider;
    const detected = await probe.detect();
    if (probe.provider !== before) logger.warn(`hardware: ${probe.provider.reason}`);
    return detected;
  }

  async function detect(): Promise<HardwareSnapshot> {
    const report = await detectReport();
    const print = fingerprint(report);
    const kept = await profiles.load();
    const entry = kept[print] ?? EMPTY;
    const known = Object.values(kept).some((e) => e.cpu);
    if (measuring && current) return publish({ ...build(probe, clock, report, print, entry, current.profile), profile: current.profile });
    const state = entry.cpu ? 'ready' : known ? 'stale' : 'none';
    const snapshot = publish(build(probe, clock, report, print, entry, { state, progress: null, error: null }));
    if (!entry.cpu && options.autoBenchmark !== false) {
      void benchmark().catch(() => undefined); // the failure is in the snapshot and the log
    }
    return snapshot;
  }

  function refresh(): Promise<HardwareSnapshot> {
    return (detecting ??= detect().finally(() => (detecting = null)));
  }

  async function measure(onProgress?: (progress: BenchmarkProgress) => void): Promise<HardwareSnapshot> {
    const base = current ?? (await refresh());
    const running = (progress: BenchmarkProgress | null) =>
      publish({ ...base, profile: { ...base.profile, state: 'running', progress, error: null } });
    running(null);
    const started = performance.now();
    try {
      const cpu: CpuMeasurement = await measureCpuInChild({
        ...options.benchmark,
        onProgress: (progress) => {
          onProgress?.(progress);
          running(progress);
        },
      });
      const profile: CpuProfile = { measuredAt: clock.now(), durationMs: performance.now() - started, cpu };
      const entry = await profiles.save(base.fingerprint, (e) => ({ ...e, cpu: profile }));
      logger.info(
        `hardware benchmark: ${cpu.fp32Gflops.toFixed(1)} GFLOPS fp32, ${cpu.int8Tops.toFixed(3)} TOPS int8, ${cpu.memoryBandwidthGbps.toFixed(1)} GB/s`,
      );
      // A detection may have run meanwhile: keep its fresher readings when the hardware is the same.
      const latest = current?.fingerprint === base.fingerprint ? current : base;
      return publish(build(probe, clock, latest.report, base.fingerprint, entry, { state: 'ready', progress: null, error: null }));
    } catch (error) {
      const message = errorText(error);
      logger.warn(`hardware benchmark failed: ${message}`);
      publish({ ...base, profile: { ...base.profile, state: 'failed', progress: null, error: `The benchmark failed: ${message}` } });
      throw error;
    }
  }

  function benchmark(onProgress?: (progress: BenchmarkProgress) => void): Promise<HardwareSnapshot> {
    return (measuring ??= measure(onProgress).finally(() => (measuring = null)));
  }

  async function acceptWebGpuReport(report: WebGpuReport): Promise<Result<{ deviceId: string | null; note: string }>> {
    const profile = webGpuProfile(report);
    if (profile.basis !== 'measured' || report.status !== 'measured') return ok({ deviceId: null, note: profile.note });
    const base = current ?? (await refresh());
    const target = adapterDevice(base.report, report.adapter);
    if (!target)
      return ok({
        deviceId: null,
        note: `Cannot tell which detected GPU WebGPU measured (${report.adapter.name}); its figures were not used.`,
      });
    const measured = { measuredAt: report.measuredAt, adapter: profile.adapter, figures: profile.figures, note: profile.note };
    const entry = await profiles.save(base.fingerprint, (e) => ({ ...e, gpus: { ...e.gpus, [target]: measured } }));
    const latest = current?.fingerprint === base.fingerprint ? current : base;
    publish({ ...build(probe, clock, latest.report, base.fingerprint, entry, latest.profile), profile: latest.profile });
    return ok({ deviceId: target, note: profile.note });
  }

  return {
    snapshot: () => current,
    refresh,
    benchmark,
    acceptWebGpuReport,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    subscribeTelemetry: (listener) => telemetry.subscribe(listener),
  };
}
