import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { BenchmarkProgress, HardwareReport, HardwareSnapshot, ProfileStatus, Telemetry } from '../../common/hardware.js';
import { writeFileAtomic } from '../fs/atomic.js';
import type { Clock, Logger } from '../ports.js';
import { measureCpu, type BenchmarkOptions } from './benchmark.js';
import { classify, deviceId, type CpuMeasurement } from './classify.js';
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
  /** Every new snapshot: detections, benchmark start, progress and result. */
  subscribe(listener: (snapshot: HardwareSnapshot) => void): () => void;
  /** Live readings; the probe is sampled only while at least one listener is subscribed. */
  subscribeTelemetry(listener: (telemetry: Telemetry) => void): () => void;
}

const CACHE_FILE = 'hardware-profile.json';
const CACHE_LIMIT = 8;
const ProfileSchema = z.object({
  measuredAt: z.number(),
  durationMs: z.number().min(0),
  cpu: z.object({ fp32Gflops: z.number().min(0), int8Tops: z.number().min(0), memoryBandwidthGbps: z.number().min(0) }),
});
type Profile = z.infer<typeof ProfileSchema>;
/** Profiles by fingerprint, so swapping a GPU back and forth does not re-measure each time. */
const CacheSchema = z.object({ version: z.literal(1), profiles: z.record(z.string(), ProfileSchema) });

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

export function createHardwareService(options: HardwareServiceOptions): HardwareService {
  const { probe, clock, logger } = options;
  const cacheFile = join(options.cacheDir, CACHE_FILE);
  const listeners = new Set<(snapshot: HardwareSnapshot) => void>();
  const telemetryListeners = new Set<(telemetry: Telemetry) => void>();
  let current: HardwareSnapshot | null = null;
  let detecting: Promise<HardwareSnapshot> | null = null;
  let measuring: Promise<HardwareSnapshot> | null = null;
  let cache: Promise<Record<string, Profile>> | null = null;
  let stopSampling: (() => void) | null = null;
  let sampling = false;

  const none: Record<string, Profile> = {};
  const loadCache = () =>
    (cache ??= readFile(cacheFile, 'utf8').then(
      (text) => CacheSchema.parse(JSON.parse(text)).profiles,
      (error: NodeJS.ErrnoException) => {
        // A missing cache is normal; an unreadable one only costs a new measurement, which rewrites it.
        if (error.code !== 'ENOENT') logger.warn(`hardware profile cache ${cacheFile} unreadable (${error.message}); measuring again`);
        return none;
      },
    ).catch((error: Error) => {
      logger.warn(`hardware profile cache ${cacheFile} is invalid (${error.message}); measuring again`);
      return none;
    }));

  function publish(snapshot: HardwareSnapshot): HardwareSnapshot {
    current = snapshot;
    for (const listener of listeners) listener(snapshot);
    return snapshot;
  }

  function build(report: HardwareReport, print: string, profile: Profile | null, status: Omit<ProfileStatus, 'measuredAt' | 'durationMs'>): HardwareSnapshot {
    return {
      provider: probe.provider,
      detectedAt: clock.now(),
      fingerprint: print,
      report,
      devices: classify(report, profile?.cpu ?? null),
      profile: { ...status, measuredAt: profile?.measuredAt ?? null, durationMs: profile?.durationMs ?? null },
    };
  }

  async function detect(): Promise<HardwareSnapshot> {
    const report = await probe.detect();
    const print = fingerprint(report);
    const profiles = await loadCache();
    const profile = profiles[print] ?? null;
    const known = Object.keys(profiles).length > 0;
    if (measuring && current) return publish({ ...build(report, print, profile, current.profile), profile: current.profile });
    const state = profile ? 'ready' : known ? 'stale' : 'none';
    const snapshot = publish(build(report, print, profile, { state, progress: null, error: null }));
    if (!profile && options.autoBenchmark !== false) {
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
      const cpu: CpuMeasurement = await measureCpu({
        ...options.benchmark,
        onProgress: (progress) => {
          onProgress?.(progress);
          running(progress);
        },
      });
      const profile: Profile = { measuredAt: clock.now(), durationMs: performance.now() - started, cpu };
      const profiles = { ...(await loadCache()), [base.fingerprint]: profile };
      // Keep the most recent few fingerprints only.
      const kept = Object.fromEntries(Object.entries(profiles).sort(([, a], [, b]) => b.measuredAt - a.measuredAt).slice(0, CACHE_LIMIT));
      cache = Promise.resolve(kept);
      await writeFileAtomic(cacheFile, `${JSON.stringify({ version: 1, profiles: kept }, null, 2)}\n`);
      logger.info(`hardware benchmark: ${cpu.fp32Gflops.toFixed(1)} GFLOPS fp32, ${cpu.int8Tops.toFixed(3)} TOPS int8, ${cpu.memoryBandwidthGbps.toFixed(1)} GB/s`);
      // A detection may have run meanwhile: keep its fresher readings when the hardware is the same.
      const latest = current?.fingerprint === base.fingerprint ? current : base;
      return publish(build(latest.report, base.fingerprint, profile, { state: 'ready', progress: null, error: null }));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      logger.warn(`hardware benchmark failed: ${message}`);
      publish({ ...base, profile: { ...base.profile, state: 'failed', progress: null, error: `The benchmark failed: ${message}` } });
      throw error;
    }
  }

  function benchmark(onProgress?: (progress: BenchmarkProgress) => void): Promise<HardwareSnapshot> {
    return (measuring ??= measure(onProgress).finally(() => (measuring = null)));
  }

  async function sample(): Promise<void> {
    stopSampling = null;
    try {
      const report = await probe.detect();
      const gpus = [...report.vendors.nvidia.gpus, ...report.vendors.amd.gpus, ...report.vendors.apple.gpus].map((gpu) => ({
        id: deviceId(gpu),
        utilizationPercent: gpu.utilizationPercent,
        memoryUsedBytes: gpu.memoryUsedBytes,
        temperatureC: gpu.temperatureC,
        powerDrawW: gpu.powerDrawW,
      }));
      const telemetry: Telemetry = { at: clock.now(), gpus };
      for (const listener of telemetryListeners) listener(telemetry);
    } catch (error) {
      logger.warn(`hardware telemetry sample failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (telemetryListeners.size > 0) stopSampling = clock.after(options.telemetryIntervalMs ?? 2000, () => void sample());
    else sampling = false;
  }

  return {
    snapshot: () => current,
    refresh,
    benchmark,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    subscribeTelemetry(listener) {
      telemetryListeners.add(listener);
      if (!sampling) {
        sampling = true;
        void sample();
      }
      return () => {
        telemetryListeners.delete(listener);
        if (telemetryListeners.size === 0 && stopSampling) {
          stopSampling();
          stopSampling = null;
          sampling = false;
        }
      };
    },
  };
}
