/**
 * A task source loop for tests that drive the network client without the scheduler: lease, execute, complete (or
 * give back with the reason), backing off while the network fails. The app leases through its scheduler instead
 * (main/core/network/scheduler-link.ts).
 */
import { ReleaseReasonSchema, type Task, type TaskResult } from '../../../main/common/task.js';
import type { LeaseOutcome, NetworkClient } from '../../../main/core/network/client.js';
import { backoffMs, NetworkError } from '../../../main/core/network/http.js';
import { pause } from '../../../main/core/network/leasing.js';

export interface ContributeOptions {
  client: NetworkClient;
  /** Runs one task; the signal aborts when the lease is gone or the loop stops. */
  execute(task: Task, signal: AbortSignal): Promise<TaskResult>;
  signal: AbortSignal;
  random?: () => number;
  backoff?: { baseMs: number; maxMs: number };
}

/** The simplest task source loop: lease → execute → complete (or release), with backoff while the network fails. */
export async function contribute(c: ContributeOptions): Promise<void> {
  const random = c.random ?? Math.random;
  const backoff = c.backoff ?? { baseMs: 1_000, maxMs: 5 * 60_000 };
  let attempt = 0;
  while (!c.signal.aborted) {
    let outcome: LeaseOutcome;
    try {
      outcome = await c.client.lease(c.signal);
      attempt = 0;
    } catch (error) {
      if (c.signal.aborted) break;
      if (!(error instanceof NetworkError)) throw error;
      await pause(backoffMs(attempt++, random, backoff.baseMs, backoff.maxMs), c.signal);
      continue;
    }
    if (outcome.kind === 'none') {
      // A hostile or broken coordinator must not make this a busy loop.
      await pause(Math.max(250, outcome.retryAfterMs), c.signal);
      continue;
    }
    const { leaseId, task } = outcome;
    const gone = new AbortController();
    const off = c.client.subscribe((e) => {
      if (e.type === 'gone' && e.leaseId === leaseId) gone.abort();
    });
    try {
      const result = await c.execute(task, AbortSignal.any([c.signal, gone.signal]));
      await c.client.complete(leaseId, result);
    } catch (error) {
      if (!gone.signal.aborted) {
        // Whoever stops the loop says why in the abort reason (e.g. 'policy-pause'); otherwise it is a shutdown.
        const stopped = ReleaseReasonSchema.safeParse(c.signal.reason);
        const reason = c.signal.aborted ? (stopped.success ? stopped.data : 'shutdown') : 'runtime-error';
        await c.client.release(leaseId, reason, (error as Error).message);
      }
    } finally {
      off();
    }
  }
}

/** Runs the loop for `client` until the returned function stops it, giving tasks in hand back for `why`. */
export function contributing(client: NetworkClient, execute: ContributeOptions['execute']): (why?: string) => Promise<void> {
  const stop = new AbortController();
  const loop = contribute({ client, execute, signal: stop.signal });
  return async (why = 'shutdown') => {
    stop.abort(why);
    await loop;
  };
}
