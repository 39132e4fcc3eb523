import type { Decision, Signals } from '../common/policy.js';
import type { Settings } from '../common/settings.js';
import { SerialQueue } from '../common/serial.js';
import type { Monitor } from './monitor/monitor.js';
import { decide, summarize } from './policy/decide.js';
import type { Ports } from './ports.js';
import { errorDetail } from '../common/result.js';

/**
 * How often to sample and decide: every second while tasks run (user input must stop them fast), every
 * 2.5 s while sharing without work, every 5 s when off (live charts only). Keeps the idle agent ≤0.1 % of a core.
 */
const TICK_MS = { working: 1000, sharing: 2500, off: 5000 };

/** What makes a decision different for the activity log: who runs and the first blocking reason, not the numbers in it. */
const decisionKey = (decision: Decision | undefined): string =>
  JSON.stringify(decision?.devices.map((d) => [d.deviceId, d.run, d.reasons.find((r) => r.blocking)?.code]));

export interface PolicyLoopOptions {
  ports: Pick<Ports, 'clock' | 'logger' | 'input' | 'session'>;
  monitor: Monitor;
  settings: () => Settings;
  /** Whether there is work in hand (then it ticks every second). */
  busy: () => boolean;
  /** Carries out a decision (the scheduler's limits); then `decided` runs, with `reason` when the outcome changed. */
  apply: (decision: Decision) => void;
  decided: (reason: string | null) => void;
}

/**
 * The policy's heartbeat: sample, decide, apply, on a timer and at once when settings or the session change. Ticks
 * run one after another, each with fresh settings. The user's input between ticks gives the machine back at once:
 * decided again on the last sample with no idle time, so the job hosts stop in the same event-loop turn; input is
 * watched only while tasks run under "only when I am away", and resuming stays with the tick, once the idle rule
 * holds again.
 */
export class PolicyLoop {
  signals: Signals | null = null;
  decision: Decision | undefined;
  private readonly ticks = new SerialQueue();
  private cancelTimer = (): void => undefined;
  private closed = false;
  private stopWatching: (() => void) | null = null;
  private readonly unsubscribeSession: () => void;

  constructor(private readonly o: PolicyLoopOptions) {
    this.unsubscribeSession = o.ports.session.subscribe(() => void this.tick());
  }

  tick(): Promise<void> {
    return this.ticks
      .run(async () => this.settle(await this.o.monitor.sample(this.o.settings())))
      .catch((error: unknown) => this.o.ports.logger.error(`policy tick failed: ${errorDetail(error)}`));
  }

  /** (Re)starts the timer at the period for what the agent is doing now. */
  start(): void {
    this.cancelTimer();
    const { settings, busy, ports } = this.o;
    const period = !settings().sharing ? TICK_MS.off : busy() ? TICK_MS.working : TICK_MS.sharing;
    this.cancelTimer = ports.clock.after(period, () => void this.tick().then(() => !this.closed && this.start()));
  }

  /** Watches the user's input while `working` under "only when I am away"; stops watching otherwise. */
  followInput(working: boolean): void {
    const settings = this.o.settings();
    const wanted = working && settings.sharing && settings.idleOnly.enabled;
    if (wanted && !this.stopWatching) this.stopWatching = this.o.ports.input.watch(() => this.onInput());
    if (!wanted && this.stopWatching) {
      this.stopWatching();
      this.stopWatching = null;
    }
  }

  private onInput(): void {
    this.o.monitor.noteInput();
    if (this.signals && this.decision?.devices.some((device) => device.run)) {
      this.settle({ ...this.signals, at: this.o.ports.clock.now(), idleSeconds: 0 });
    }
  }

  private settle(sample: Signals): void {
    this.signals = sample;
    const next = decide(sample, this.o.settings(), this.o.ports.clock.now(), this.decision);
    const changed = decisionKey(next) !== decisionKey(this.decision);
    this.decision = next;
    this.o.apply(next);
    this.o.decided(changed ? summarize(next, false).reason : null);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.cancelTimer();
    this.unsubscribeSession();
    this.followInput(false);
    await this.ticks.idle();
  }
}
