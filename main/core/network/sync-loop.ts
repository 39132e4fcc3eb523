import { backoffMs } from './http.js';

export interface SyncLoopOptions {
  /** One round of background work; a throw means the next round waits by the backoff. */
  round: () => Promise<void>;
  /** A round failed; the next one starts in `waitMs`. */
  failed: (error: unknown, waitMs: number) => void;
  intervalMs: number;
  backoff: { baseMs: number; maxMs: number };
  random: () => number;
}

/** Runs a round on a timer while all is well, and with growing backoff after each failure in a row. */
export class SyncLoop {
  private closed = false;
  private timer: NodeJS.Timeout | null = null;
  private attempt = 0;

  constructor(private readonly o: SyncLoopOptions) {}

  get started(): boolean {
    return this.timer !== null;
  }

  /** The next round in `ms`, replacing the one planned. */
  schedule(ms: number): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), ms);
    this.timer.unref();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private async tick(): Promise<void> {
    try {
      await this.o.round();
      this.attempt = 0;
      this.schedule(this.o.intervalMs);
    } catch (error) {
      const { baseMs, maxMs } = this.o.backoff;
      const wait = backoffMs(this.attempt++, this.o.random, baseMs, maxMs);
      this.o.failed(error, wait);
      this.schedule(wait);
    }
  }
}
