/**
 * When tasks are leased: as many as the running lanes have room for (lease-room.ts), one lease at a time,
 * and less often while the network's answers bring nothing in.
 */
import { backoffMs } from '../network/http.js';
import { enqueue } from './admission.js';
import { leaseRoom } from './lease-room.js';
import type { SchedulerState } from './state.js';

/** The longest wait between leases while answers bring nothing in. */
const LEASE_BACKOFF_MAX_MS = 30_000;

/**
 * An answer that brings no task in (empty at once, only tasks this device already holds or gave straight back, or
 * one that failed) makes the next lease wait twice as long as the last, from leaseRetryMs up to 30 s, with jitter; an
 * answer that brings one in resets it. The wait counts from when the lease went out, so a long-poll that waited for
 * work before answering empty is asked again at once: only a coordinator that answers at once is slowed down.
 */
export class Leasing {
  private leasing = false;
  private useless = 0;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(private readonly state: SchedulerState) {}

  pull(): void {
    const { state } = this;
    const { source, logger, clock } = state.options;
    if (!source || this.leasing || this.retryTimer || state.closed) return;
    const slots = leaseRoom(state);
    if (slots <= 0) return;
    this.leasing = true;
    const sent = clock.now();
    source
      .lease(slots, state.leaseResource())
      .then((tasks) => tasks.filter((task) => enqueue(state, task)).length > 0)
      .catch((error: unknown) => {
        logger.warn(`lease failed: ${String(error)}`);
        return false;
      })
      .then((useful) => {
        this.leasing = false;
        if (useful) this.useless = 0;
        // On the agent's clock: a jump back counts as no time at all, a jump forward as the whole wait.
        const took = Math.max(0, clock.now() - sent);
        const wait = useful ? 0 : backoffMs(this.useless++, state.options.random ?? Math.random, this.baseMs, LEASE_BACKOFF_MAX_MS) - took;
        if (wait <= 0) return state.pump();
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          state.pump();
        }, wait).unref();
      });
  }

  stop(): void {
    clearTimeout(this.retryTimer);
  }

  private get baseMs(): number {
    return this.state.options.leaseRetryMs ?? 1000;
  }
}
