import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { BenchmarkProgress, HardwareReport, HardwareSnapshot, ProfileStatus, Telemetry } from '../../common/hardware.js';
import { errorText, fail, ok, type Result } from '../../common/result.js';
import { GpuSummarySchema, WebGpuReportSchema, webGpuProfile, type AdapterInfo } from '../../common/webgpu.js';
import { writeFileAtomic } from '../fs/atomic.js';
import type { Clock, Logger } from '../ports.js';
import type { BenchmarkOptions } from './benchmark.js';
import { measureCpuInChild } from './benchmark-process.js';
import { allGpus, classify, deviceId, type CpuMeasurement } from './classify.js';
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
   * Takes a WebGPU benchmark report (renderer/src/lib/gpu, untrusted: parsed here) as the measured profile of the GPU
   * it ran on. Reports from software adapters, failed runs, or adapters that match no single detected GPU are
   * declined with the reason.
   */
  acceptWebGpuReport(input: unknown): Promise<Result<{ deviceId: string | null; note: string }>>;
  /** Every new snapshot: detections, benchmark start, progress and result. */
  subscribe(listener: (snapshot: HardwareSnapshot) => void): () => void;
  /** Live readings; the probe is sampled only while at least one listener is subscribed. */
  subscribeTelemetry(listener: (telemetry: Telemetry) => void): () => void;
}

const CACHE_FILE = 'hardware-profile.json';
const CACHE_LIMIT = 8;
const CpuProfileSchema = z.object({
  measuredAt: z.number(),
  durationMs: z.number().min(0),
  cpu: z.object({ fp32Gflops: z.number().min(0), int8Tops: z.number().min(0), memoryBandwidthGbps: z.number().min(0) }),
});
type CpuProfile = z.infer<typeof CpuProfileSchema>;
const GpuProfileSchema = z.object({ measuredAt: z.number(), adapter: z.string(), figures: GpuSummarySchema, note: z.string() });
const EntrySchema = z.object({ cpu: CpuProfileSchema.nullable(), gpus: z.record(z.string(), GpuProfileSchema) });
type Entry = z.infer<typeof EntrySchema>;
/** Profiles by fingerprint, so swapping a GPU back and forth does not re-measure each time. */
const CacheSchema = z.object({ version: z.literal(1), profiles: z.record(z.string(), EntrySchema) });
const EMPTY: Entry = { cpu: null, gpus: {} };
const lastMeasured = (e: Entry) => Math.max(e.cpu?.measuredAt ?? 0, ...Object.values(e.gpus).map((g) => g.measuredAt));

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

export function createHardwareService(options: HardwareServiceOptions): HardwareService {
  const { probe, clock, logger } = options;
  const cacheFile = join(options.cacheDir, CACHE_FILE);
  const listeners = new Set<(snapshot: HardwareSnapshot) => void>();
  const telemetryListeners = new Set<(telemetry: Telemetry) => void>();
  let current: HardwareSnapshot | null = null;
  let detecting: Promise<HardwareSnapshot> | null = null;
  let measuring: Promise<HardwareSnapshot> | null = null;
  let cache: Promise<Record<string, Entry>> | null = null;
  let stopSampling: (() => void) | null = null;
  let sampling = false;

  const none: Record<string, Entry> = {};
  const loadCache = () =>
    (cache ??= readFile(cacheFile, 'utf8')
      .then(
        (text) => CacheSchema.parse(JSON.parse(text)).profiles,
        (error: NodeJS.ErrnoException) => {
          // A missing cache is normal; an unreadable one only costs a new measurement, which rewrites it.
          if (error.code !== 'ENOENT') logger.warn(`hardware profile cache ${cacheFile} unreadable (${error.message}); measuring again`);
          return none;
        },
      )
      .catch((error: Error) => {
        logger.warn(`hardware profile cache ${cacheFile} is invalid (${error.message}); measuring again`);
        return none;
      }));

  function publish(snapshot: HardwareSnapshot): HardwareSnapshot {
    current = snapshot;
    for (const listener of listeners) listener(snapshot);
    return snapshot;
  }

  function build(
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

  async function save(print: string, change: (entry: Entry) => Entry): Promise<Entry> {
    const profiles = await loadCache();
    const entry = change(profiles[print] ?? EMPTY);
    // Keep the most recently measured few fingerprints only.
    const kept = Object.fromEntries(
      Object.entries({ ...profiles, [print]: entry })
        .sort(([, a], [, b]) => lastMeasured(b) - lastMeasured(a))
        .slice(0, CACHE_LIMIT),
    );
    cache = Promise.resolve(kept);
    await writeFileAtomic(cacheFile, `${JSON.stringify({ version: 1, profiles: kept }, null, 2)}\n`);
    return entry;
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
    const profiles = await loadCache();
    const entry = profiles[print] ?? EMPTY;
    const known = Object.values(profiles).some((e) => e.cpu);
    if (measuring && current) return publish({ ...build(report, print, entry, current.profile), profile: current.profile });
    const state = entry.cpu ? 'ready' : known ? 'stale' : 'none';
    const snapshot = publish(build(report, print, entry, { state, progress: null, error: null }));
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
      const entry = await save(base.fingerprint, (e) => ({ ...e, cpu: profile }));
      logger.info(
        `hardware benchmark: ${cpu.fp32Gflops.toFixed(1)} GFLOPS fp32, ${cpu.int8Tops.toFixed(3)} TOPS int8, ${cpu.memoryBandwidthGbps.toFixed(1)} GB/s`,
      );
      // A detection may have run meanwhile: keep its fresher readings when the hardware is the same.
      const latest = current?.fingerprint === base.fingerprint ? current : base;
      return publish(build(latest.report, base.fingerprint, entry, { state: 'ready', progress: null, error: null }));
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

  async function acceptWebGpuReport(input: unknown): Promise<Result<{ deviceId: string | null; note: string }>> {
    const parsed = WebGpuReportSchema.safeParse(input);
    if (!parsed.success) return fail('BAD_REQUEST', `Not a WebGPU benchmark report: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    const report = parsed.data;
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
    const entry = await save(base.fingerprint, (e) => ({ ...e, gpus: { ...e.gpus, [target]: measured } }));
    const latest = current?.fingerprint === base.fingerprint ? current : base;
    publish({ ...build(latest.report, base.fingerprint, entry, latest.profile), profile: latest.profile });
    return ok({ deviceId: target, note: profile.note });
  }

  async function sample(): Promise<void> {
    stopSampling = null;
    try {
      const report = await detectReport();
      const gpus = allGpus(report).map((gpu) => ({
        id: deviceId(gpu),
        utilizationPercent: gpu.utilizationPercent,
        memoryUsedBytes: gpu.memoryUsedBytes,
        temperatureC: gpu.temperatureC,
        powerDrawW: gpu.powerDrawW,
      }));
      const telemetry: Telemetry = { at: clock.now(), gpus };
      for (const listener of telemetryListeners) listener(telemetry);
    } catch (error) {
      logger.warn(`hardware telemetry sample failed: ${errorText(error)}`);
    }
    if (telemetryListeners.size > 0) stopSampling = clock.after(options.telemetryIntervalMs ?? 2000, () => void sample());
    else sampling = false;
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
