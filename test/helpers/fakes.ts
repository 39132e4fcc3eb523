import { rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HardwareReport } from '../../main/common/hardware.js';
import { vendorReport } from '../../main/core/hardware/probe.js';
import type { Clock, CpuTimes, InputWatcher, Logger, Ports, PowerReading, SessionEvent } from '../../main/core/ports.js';
import { MemorySecretStore } from './wallet.js';

/** A clock the test moves by hand; timers fire only from advance(). */
export class FakeClock implements Clock {
  private timers: { at: number; fn: () => void }[] = [];
  constructor(public time = Date.UTC(2026, 10, 25, 12, 0, 0)) {}
  now(): number {
    return this.time;
  }
  after(ms: number, fn: () => void): () => void {
    const timer = { at: this.time + ms, fn };
    this.timers.push(timer);
    return () => (this.timers = this.timers.filter((t) => t !== timer));
  }
  /** Moves time on, firing due timers in order. */
  advance(ms: number): void {
    const until = this.time + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.time = due.at;
      due.fn();
    }
    this.time = until;
  }
}

/** Keeps what was logged so tests can assert on it (and on what must never be logged). */
export class MemoryLogger implements Logger {
  readonly lines: string[] = [];
  info(message: string): void {
    this.lines.push(`info ${message}`);
  }
  warn(message: string): void {
    this.lines.push(`warn ${message}`);
  }
  error(message: string): void {
    this.lines.push(`error ${message}`);
  }
}

/** The OS as a test wants it: every reading settable, session events emitted by hand. */
/**
 * Like the native watcher (native/src/input.cc): input reaches the listener on a later event-loop turn (the addon's
 * thread-safe call from its own thread), never inside press(); where the system cannot watch, watch() is null.
 */
export class FakeInputWatcher implements InputWatcher {
  readonly name = 'fake';
  supported = true;
  private readonly listeners = new Set<() => void>();
  get watching(): boolean {
    return this.listeners.size > 0;
  }
  watch(onInput: () => void): (() => void) | null {
    if (!this.supported) return null;
    this.listeners.add(onInput);
    return () => void this.listeners.delete(onInput);
  }
  press(): void {
    setImmediate(() => this.listeners.forEach((listener) => listener()));
  }
}

export class FakeSystem {
  idleSeconds: number | null = 3600;
  readonly input = new FakeInputWatcher();
  locked: boolean | null = false;
  power: PowerReading = { onBattery: false, batteryPercent: null, charging: null, batterySaver: false };
  cpu: CpuTimes = { busyMs: 0, totalMs: 0, oursMs: 0 };
  tempC: number | null = 45;
  processes: string[] | null = [];
  fullscreen: boolean | null = false;
  /** A plain 8-thread desktop without GPUs; tests add GPUs to the vendor reports. */
  hardware: HardwareReport = {
    cpu: { vendor: 'intel', model: 'Fake CPU', arch: 'x64', cores: 4, threads: 8, features: ['sse4_2', 'avx', 'avx2', 'fma'] },
    memoryBytes: 16 * 2 ** 30,
    vendors: {
      nvidia: vendorReport('nvidia', { status: 'absent', code: 'not-installed' }),
      amd: vendorReport('amd', { status: 'absent', code: 'not-installed' }),
      intel: vendorReport('intel', { status: 'absent', code: 'not-installed' }),
      apple: vendorReport('apple', { status: 'absent', code: 'not-installed' }),
    },
  };
  private listeners = new Set<(event: SessionEvent) => void>();

  emit(event: SessionEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  ports(): Omit<Ports, 'clock' | 'logger'> {
    return {
      hardware: { provider: { kind: 'fallback', reason: 'fake probe' }, detect: async () => this.hardware },
      secrets: new MemorySecretStore(),
      idle: { name: 'fake', idleSeconds: async () => this.idleSeconds, locked: async () => this.locked },
      input: this.input,
      power: { read: async () => this.power },
      session: {
        subscribe: (listener) => {
          this.listeners.add(listener);
          return () => this.listeners.delete(listener);
        },
      },
      system: {
        cpuTimes: async () => this.cpu,
        cpuTempC: async () => this.tempC,
        processNames: async () => this.processes,
        fullscreen: async () => this.fullscreen,
      },
    };
  }
}

export const fakePorts = () => {
  const os = new FakeSystem();
  return { clock: new FakeClock(), logger: new MemoryLogger(), os, ...os.ports() };
};

const made: string[] = [];
// Not node:test's after(): called inside a before() hook, it would run as soon as that hook ends.
process.on('exit', () => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A fresh folder, removed when the test process exits. */
export async function tempDir(prefix = 'synor-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}
