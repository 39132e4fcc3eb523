import { fork, type ChildProcess } from 'node:child_process';
import type { HardwareReport, ProviderInfo } from '../../common/hardware.js';
import { childEntry } from '../child-entry.js';
import type { NativeProbeOptions } from './native-probe.js';
import { ProbeChildReplySchema } from './probe-child-protocol.js';
import type { HardwareProbe } from './probe.js';

export interface IsolatedProbeOptions {
  /** The app folder the child loads the addon from. */
  root: string;
  /** The addon the agent found: the provider while the child answers. */
  provider: ProviderInfo;
  native: NativeProbeOptions;
  /** The probe that answers, for good, once the child crashed, hung or could not run; `reason` says so in words. */
  fallback: (reason: string) => HardwareProbe;
  /** How long one detection may take (a cold driver takes seconds) before the child is killed as hung. */
  timeoutMs?: number;
  /** How long an unused child stays up: telemetry asks every 2 s while sharing, and a child costs a Node start. */
  idleMs?: number;
}

type Outcome = { report: HardwareReport } | { failure: string };

const CRASHED = 'a graphics driver stopped the detection process while it was asked about its GPUs';
const UNREADABLE = 'the detection process gave an answer the app cannot read';
const NOT_RUN = 'the detection process could not run';

/** The sentence a user reads (Devices screen, `npm run detect`) once the driver check gave no report. */
export const failureReason = (what: string) =>
  `GPU detection failed: ${what}. The GPUs were read with the vendors' own tools instead. Restart the app to try ` +
  'the driver again; if this happens again, update or reinstall the graphics driver.';

/**
 * The native probe run in a child process (probe-child.ts), so a driver library that crashes or hangs ends the
 * child, not the agent: the detection then answers through the fallback, whose provider says what happened. Kept
 * in-process: what must act on the agent's own process (parent-death signal, the X11 input watcher).
 */
export function createIsolatedProbe(o: IsolatedProbeOptions): HardwareProbe {
  const timeoutMs = o.timeoutMs ?? 30_000;
  const idleMs = o.idleMs ?? 30_000;
  let fallback: HardwareProbe | null = null;
  let child: ChildProcess | null = null;
  let idle: NodeJS.Timeout | null = null;
  let nextId = 0;
  const pending = new Map<number, (outcome: Outcome) => void>();

  /** Ends this child (if still the current one) and fails whatever it was asked. */
  function end(c: ChildProcess, failure: string): void {
    if (child !== c) return;
    child = null;
    c.kill('SIGKILL');
    for (const [id, settle] of pending) {
      pending.delete(id);
      settle({ failure });
    }
  }

  function start(): ChildProcess {
    const entry = childEntry(import.meta.url, 'probe-child');
    const c = fork(entry.path, [JSON.stringify({ root: o.root, options: o.native })], {
      execArgv: entry.execArgv,
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    c.on('message', (raw) => {
      const reply = ProbeChildReplySchema.safeParse(raw);
      if (!reply.success) return end(c, UNREADABLE);
      const settle = pending.get(reply.data.id);
      pending.delete(reply.data.id);
      settle?.(reply.data.type === 'report' ? { report: reply.data.report } : { failure: NOT_RUN });
    });
    c.on('error', () => end(c, NOT_RUN));
    c.on('exit', () => end(c, CRASHED));
    return c;
  }

  /** Between detections the child neither keeps the agent alive nor stays long. */
  function rest(c: ChildProcess): void {
    if (child !== c || pending.size) return;
    c.unref();
    c.channel?.unref();
    idle = setTimeout(() => {
      child = null;
      c.disconnect(); // the child exits on its own
    }, idleMs);
    idle.unref();
  }

  function ask(): Promise<Outcome> {
    if (idle) clearTimeout(idle);
    const c = (child ??= start());
    c.ref();
    c.channel?.ref();
    const id = nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => end(c, `the detection process did not answer within ${timeoutMs / 1000} s`), timeoutMs);
      pending.set(id, (outcome) => {
        clearTimeout(timer);
        resolve(outcome);
        rest(c);
      });
      c.send({ id }, (error) => error && end(c, NOT_RUN));
    });
  }

  return {
    get provider() {
      return fallback?.provider ?? o.provider;
    },
    async detect() {
      if (fallback) return fallback.detect();
      const outcome = await ask();
      if ('report' in outcome) return outcome.report;
      fallback ??= o.fallback(failureReason(outcome.failure));
      return fallback.detect();
    },
  };
}
