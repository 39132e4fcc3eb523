import { fork, type ChildProcess } from 'node:child_process';
import { fail, ok, type Result } from '../../common/result.js';
import { rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import { childEntry, type ChildEntry } from '../child-entry.js';
import { AGENT_PID_ENV } from './parent-death.js';
import type { Logger } from '../ports.js';
import { BufferPool, encodeFrame, FrameReader, makeSpillFolder, SPILL_MIN_BYTES, type Spill } from './frames.js';
import { HostMessageSchema, tensorBuffers, type HostMessage, type RunRequest } from './host-protocol.js';
import * as proc from './process-control.js';

/** Where the job host's code lives and how to start Node on it. */
export type HostEntry = ChildEntry;

/** job-host.ts beside this file from source; job-host.js beside the bundle in a build. */
export const defaultHostEntry = (): HostEntry => childEntry(import.meta.url, 'job-host');

export type HostFailureCode = 'host-crashed' | 'timeout' | 'memory-budget' | 'preempted' | 'policy-pause' | 'deadline' | 'shutdown';
export type HostFailure = Extract<HostMessage, { type: 'failed' }>['code'] | HostFailureCode;
/** A job's run: the host's answer, with recycle() for when the caller is done with the output bytes (back to the pool). */
export type HostOutcome = Result<{ message: Extract<HostMessage, { type: 'done' }>; recycle(): void }, HostFailure>;

interface Pending {
  resolve(outcome: HostOutcome): void;
  onStarted(): void;
  onLoaded(m: Extract<HostMessage, { type: 'loaded' }>): void;
}

/** One job host child process, seen from the agent: send jobs, stop/continue/kill it, read its CPU and memory. */
export class JobHost {
  readonly pid: number;
  stopped = false;
  private readonly child: ChildProcess;
  private readonly pipe: Socket;
  private readonly pending = new Map<string, Pending>();
  private killReason: { code: HostFailureCode; message: string } | undefined;
  private stderrTail = '';
  private readonly spill: Spill | undefined;

  /** Resolves once the process is gone, whatever the reason. */
  readonly exited: Promise<void>;
  private gone = false;

  constructor(
    entry: HostEntry,
    private readonly logger: Logger,
    priority: 'idle' | 'low',
    onExit: (host: JobHost) => void,
    pool = new BufferPool(),
  ) {
    // fd 3: Node IPC, used only so the host notices when we are gone; fd 4: framed messages (frames.ts).
    // The priority rides along: on Linux the host lowers its compute threads itself (see setJobPriority); so does
    // the spill folder, where large frames' payloads go both ways.
    // A lane's deviceIndex is the driver's index, in PCI bus order (NVML); CUDA numbers fastest first unless told.
    const dir = makeSpillFolder();
    this.spill = dir === undefined ? undefined : { dir, minBytes: SPILL_MIN_BYTES };
    this.child = fork(entry.path, dir === undefined ? [priority] : [priority, dir], {
      execArgv: entry.execArgv,
      stdio: ['ignore', 'ignore', 'pipe', 'ipc', 'pipe'],
      env: { ...process.env, CUDA_DEVICE_ORDER: 'PCI_BUS_ID', [AGENT_PID_ENV]: String(process.pid) },
    });
    // eslint-disable-next-line @typescript-eslint/consistent-type-assertions -- stdio[4] is the 'pipe' asked for above, a Socket
    this.pipe = this.child.stdio[4] as Socket;
    this.pid = this.child.pid ?? -1;
    this.holdOpen(false);
    if (process.platform !== 'linux') this.setPriority(priority);
    this.child.stderr?.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-2000);
    });
    const reader = new FrameReader(
      (raw) => {
        const parsed = HostMessageSchema.safeParse(raw);
        if (!parsed.success) return logger.warn(`job host ${this.pid} sent a malformed message: ${parsed.error.message.slice(0, 200)}`);
        const m = parsed.data;
        const job = this.pending.get(m.jobId);
        if (m.type === 'started') job?.onStarted();
        else if (m.type === 'loaded') job?.onLoaded(m);
        else {
          this.pending.delete(m.jobId);
          this.holdOpen(this.pending.size > 0);
          job?.resolve(
            m.type === 'done' ? ok({ message: m, recycle: () => pool.give(tensorBuffers(m.outputs)) }) : fail(m.code, m.message),
          );
        }
      },
      (n) => pool.take(n),
      dir,
    );
    this.pipe.on('data', (chunk: Buffer) => {
      try {
        reader.push(chunk);
      } catch (e) {
        // A garbled frame (a header that is not JSON, a length no buffer can hold): the host is broken, not the agent.
        this.kill('host-crashed', `job host sent a malformed frame: ${String(e).slice(0, 200)}`);
      }
    });
    this.pipe.on('error', () => undefined); // the exit handler reports a dead host
    let exitResolve!: () => void;
    this.exited = new Promise((res) => (exitResolve = res));
    const ended = (how: string): void => {
      if (this.gone) return;
      this.gone = true;
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
      exitResolve();
      const why = this.killReason ?? {
        code: 'host-crashed' as const,
        message: `job host ${how}${this.lastError() ? `: ${this.lastError()}` : ''}`,
      };
      for (const job of this.pending.values()) job.resolve(fail(why.code, why.message));
      this.pending.clear();
      onExit(this);
    };
    this.child.on('exit', (code, signal) => ended(`exited (${signal ?? `code ${code}`})`));
    // Spawning itself failed (e.g. no Node binary): there will be no 'exit'.
    this.child.on('error', (e) =>
      this.pid < 0 ? ended(`could not start: ${e.message}`) : logger.warn(`job host ${this.pid}: ${e.message}`),
    );
  }

  /** The error line of what the host printed last (Node ends a crash report with its version, not the error). */
  private lastError(): string | undefined {
    const lines = this.stderrTail
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
    return (lines.findLast((l) => /\b\w*Error\b/.test(l)) ?? lines.at(-1))?.slice(0, 300);
  }

  /**
   * May wait stopped while idle: if the agent dies meanwhile, the next one finds it by its spill folder (Linux, where
   * SIGSTOP works) and kills it.
   */
  get parkable(): boolean {
    return this.spill !== undefined;
  }

  get alive(): boolean {
    return !this.gone;
  }

  /** Queues a job in the host (it runs jobs one at a time, in order). */
  run(req: RunRequest, hooks: Omit<Pending, 'resolve'>): Promise<HostOutcome> {
    return new Promise((resolve) => {
      if (this.gone) {
        const why = this.killReason ?? { code: 'host-crashed', message: 'job host is gone' };
        return resolve(fail(why.code, why.message));
      }
      this.pending.set(req.jobId, { resolve, ...hooks });
      this.holdOpen(true);
      // Corked: the frame's parts leave in one writev, one wake-up of the host.
      this.pipe.cork();
      for (const part of encodeFrame(req, this.spill)) this.pipe.write(part);
      this.pipe.uncork();
    });
  }

  /** An idle host must not keep the agent's process alive (it exits with it, on 'disconnect'); a busy one must. */
  private holdOpen(busy: boolean): void {
    // eslint-disable-next-line @typescript-eslint/consistent-type-assertions -- stderr is a 'pipe' (see start), a Socket
    const handles = [this.child, this.child.channel, this.pipe, this.child.stderr as Socket | null].filter(
      (h) => h !== undefined && h !== null,
    );
    handles.forEach((h) => (busy ? h.ref() : h.unref()));
  }

  suspend(): void {
    if (this.stopped || this.gone) return;
    proc.suspend(this.pid);
    this.stopped = true;
  }
  resume(): void {
    if (!this.stopped || this.gone) return;
    proc.resume(this.pid);
    this.stopped = false;
  }

  /** SIGKILL works on a stopped process too; pending jobs fail with `code`. */
  kill(code: HostFailureCode, message: string): void {
    if (this.gone) return;
    this.killReason ??= { code, message };
    this.child.kill('SIGKILL');
  }

  setPriority(level: 'idle' | 'low'): void {
    if (!proc.setJobPriority(this.pid, level)) this.logger.warn(`could not set job host ${this.pid} to ${level} priority`);
  }

  cpuMs(): number | undefined {
    return proc.cpuMs(this.pid);
  }
  rssBytes(): number | undefined {
    return proc.rssBytes(this.pid);
  }
}
