import { fail, ok, type Result } from '../../common/result.js';

/**
 * Replay protection for boxes that open: each carries the time it was sealed and a one-time id. A box older or newer
 * than the window is refused (its id may have been forgotten); one inside it is refused when its id was seen. Ids
 * are kept only as long as the window, so memory stays bounded by traffic, and capped against a flood.
 */
export const REPLAY_WINDOW_MS = 60_000;
/** A fleet of hundreds polls a few times a minute; far more ids than that in a window is a flood, refused. */
const MAX_REMEMBERED = 100_000;

export class ReplayGuard {
  /** id → when it may be forgotten. Map keeps insertion order, which is nearly time order. */
  private readonly seen = new Map<string, number>();

  constructor(private readonly now: () => number) {}

  /** Accepts a box once: `sender` and `id` name it, `at` is when it says it was sealed. */
  check(sender: string, id: string, at: number): Result<void, 'REPLAYED'> {
    const now = this.now();
    this.forget(now);
    if (Math.abs(now - at) > REPLAY_WINDOW_MS) {
      return fail('REPLAYED', 'The message is too old or dated in the future: check that both clocks are right.');
    }
    const key = `${sender} ${id}`;
    if (this.seen.has(key)) return fail('REPLAYED', 'This message was already received once; a copy is not accepted.');
    if (this.seen.size >= MAX_REMEMBERED) return fail('REPLAYED', 'Too many messages at once; try again in a minute.');
    this.seen.set(key, at + REPLAY_WINDOW_MS);
    return ok(undefined);
  }

  /** Forgets ids from the oldest on; one out of time order only stays a little longer, which is safe. */
  private forget(now: number): void {
    for (const [key, until] of this.seen) {
      if (until >= now) break;
      this.seen.delete(key);
    }
  }
}
