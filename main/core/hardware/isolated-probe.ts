import type { ChildProcess } from 'node:child_process';
import type { ProviderInfo } from '../../common/hardware.js';
import type { Addon } from '../native/addon-load.js';
import { createNativeProbe, type NativeProbeOptions } from './native-probe.js';
import { ProbeReplySchema, type ProbeCall } from './probe-child-protocol.js';
import { startProbeChild } from './probe-child-start.js';
import type { HardwareProbe } from './probe.js';

/** How long an unused child stays up: telemetry asks every 2 s while sharing, and a child costs a Node start. */
const IDLE_MS = 30_000;

export interface IsolatedProbeOptions {
  /** The app folder the child loads the addon from. */
  root: string;
  /** The addon as loaded in the agent: which calls it has, and the provider while the child answers. */
  addon: Addon;
  provider: ProviderInfo;
  native: NativeProbeOptions;
  /** The probe that answers, for good, once the child crashed, hung or could not run; `reason` says so in words. */
  fallback: (reason: string) => HardwareProbe;
  /** How long one driver call may take (a cold driver takes seconds) before the child is killed as hung. */
  timeoutMs?: number;
  /** A child already started for `root` (startProbeChild), used for the first calls: `npm run detect` starts it early. */
  started?: ChildProcess;
}

/** A driver call that ended with the child: the detection answers through the fallback instead. */
class ChildFailed extends Error {}

const CRASHED = 'a graphics driver stopped the detection process while it was asked about its GPUs';
const UNREADABLE = 'the detection process gave an answer the app cannot read';
const NOT_RUN = 'the detection process could not run';

/** The sentence a user reads (Devices screen, `npm run detect`) once the driver check gave no answer. */
const failureReason = (what: string) =>
  `GPU detection failed: ${what}. The GPUs were read with the vendors' own tools instead. Restart the app to try ` +
  'the driver again; if this happens again, update or reinstall the graphics driver.';

/**
 * The native probe with its driver calls made in a child process (probe-child.ts), so a driver library that crashes
 * or hangs ends the child, not the agent; the detection then answers through the fallback, whose provider says what
 * happened. Everything else (parsing, sysfs, /proc/cpuinfo) stays here. Also kept in the agent: what must act on its
 * own process (the parent-death signal, the X11 input watcher).
 */
export function createIsolatedProbe(o: IsolatedProbeOptions): HardwareProbe {
  const timeoutMs = o.timeoutMs ?? 30_000;
  let fallback: HardwareProbe | null = null;
  let child: ChildProcess | null = null;
  let idle: NodeJS.Timeout | null = null;
  let nextId = 0;
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();

  /** Ends this child (if still the current one) and fails whatever it was asked. */
  function end(c: ChildProcess, failure: string): void {
    if (child !== c) return;
    child = null;
    c.kill('SIGKILL');
    for (const [id, call] of pending) {
      pending.delete(id);
      call.reject(new ChildFailed(failure));
    }
  }

  let started = o.started;
  function start(): ChildProcess {
    const c = started ?? startProbeChild(o.root);
    started = undefined;
    c.on('message', (raw) => {
      const reply = ProbeReplySchema.safeParse(raw);
      if (!reply.success) return end(c, UNREADABLE);
      const call = pending.get(reply.data.id);
      pending.delete(reply.data.id);
      if (reply.data.type === 'value') call?.resolve(reply.data.value);
      else call?.reject(new ChildFailed(NOT_RUN));
      rest(c);
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
    if (idle) clearTimeout(idle);
    idle = setTimeout(() => {
      if (child !== c) return;
      child = null;
      c.disconnect(); // the child exits on its own
    }, IDLE_MS);
    idle.unref();
  }

  function call(name: ProbeCall, library = ''): Promise<unknown> {
    if (idle) clearTimeout(idle);
    const c = (child ??= start());
    c.ref();
    c.channel?.ref();
    const id = nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => end(c, `the detection process did not answer within ${timeoutMs / 1000} s`), timeoutMs);
      const settled =
        <T>(then: (value: T) => void) =>
        (value: T) => {
          clearTimeout(timer);
          then(value);
        };
      pending.set(id, { resolve: settled(resolve), reject: settled(reject) });
      c.send({ id, call: name, library }, (error) => error && end(c, NOT_RUN));
    });
  }

  // The same calls as the addon, one process away; `cpu` only where the addon has it (off Linux).
  const remote: Addon = {
    nvidia: (library) => call('nvidia', library),
    amd: (library) => call('amd', library),
    intel: (library) => call('intel', library),
    apple: () => call('apple'),
    ...(o.addon.cpu ? { cpu: () => call('cpu') } : {}),
  };
  const native = createNativeProbe(remote, o.provider, o.native);

  return {
    get provider() {
      return fallback?.provider ?? o.provider;
    },
    async detect() {
      if (!fallback) {
        try {
          return await native.detect();
        } catch (error) {
          if (!(error instanceof ChildFailed)) throw error;
          fallback ??= o.fallback(failureReason(error.message));
        }
      }
      return fallback.detect();
    },
  };
}
