import type { Logger } from '../ports.js';

const WINDOW_MS = 60_000;

/**
 * Warnings that come in floods (one per refused or timed-out connection) are counted, not written one by one: the
 * first of a quiet spell is logged at once, the rest as one summary line a minute, so 20,000 hostile connections give
 * a few lines instead of 20,000.
 */
export class LogTally {
  private readonly counts = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly prefix: string,
  ) {}

  note(what: string): void {
    if (this.timer === undefined) {
      this.logger.warn(`${this.prefix}: ${what}`);
      this.restart();
      return;
    }
    this.counts.set(what, (this.counts.get(what) ?? 0) + 1);
  }

  /** Writes the summary of what was counted; a spell that is still going on goes on being counted. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.counts.size === 0) return;
    const total = [...this.counts.values()].reduce((a, b) => a + b, 0);
    const parts = [...this.counts].map(([what, n]) => `${n} ${what}`);
    this.counts.clear();
    this.logger.warn(`${this.prefix}: ${total} more since the last line (${parts.join('; ')})`);
    this.restart();
  }

  /** Says what is left and stops counting. */
  close(): void {
    this.flush();
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private restart(): void {
    // unref: a pending summary never keeps the process alive.
    this.timer = setTimeout(() => this.flush(), WINDOW_MS).unref();
  }
}
