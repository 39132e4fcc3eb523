import { rename, stat } from 'node:fs/promises';
import { errorText } from '../common/result.js';
import { SerialQueue } from '../common/serial.js';
import { ActivityEntrySchema, type ActivityEntry } from '../common/state.js';
import { encodeRecord, LogAppender, openLog } from './fs/checksummed-log.js';
import { refusalAdvice } from './fs/disk-refusal.js';
import type { Clock, Logger } from './ports.js';

const LIMIT = 500;
/** Past this the activity log starts a new file at the next start; the previous one is kept as .1. */
const ROTATE_BYTES = 1024 * 1024;

/**
 * The activity log: what the agent did and why, in words, kept across restarts ("why did it pause last night?") in a
 * checksummed file. The newest 500 entries are kept in memory for the Activity page; a large file is rotated, not
 * rewritten. While the disk refuses them, entries wait in memory and are written once there is room, with one entry
 * saying so when it starts and one when it ends.
 */
export class ActivityLog {
  private readonly writes = new SerialQueue();
  private heldTold = false;
  private droppedTold = 0;

  private constructor(
    private readonly entries: ActivityEntry[],
    private readonly file: LogAppender,
    private readonly clock: Pick<Clock, 'now'>,
    private readonly logger: Logger,
    /** Each new entry, as it is added. */
    private readonly added: (entry: ActivityEntry) => void,
  ) {}

  static async open(
    path: string,
    o: { clock: Pick<Clock, 'now'>; logger: Logger; added: (entry: ActivityEntry) => void },
  ): Promise<ActivityLog> {
    const size = (await stat(path).catch(() => null))?.size ?? 0;
    if (size > ROTATE_BYTES) await rename(path, `${path}.1`);
    const opened = await openLog(path, ActivityEntrySchema, () => o.clock.now());
    if (opened.report.tornTail) o.logger.warn(`activity log: a torn last line was kept in ${opened.report.tornTail.keptIn}`);
    return new ActivityLog(opened.records.slice(-LIMIT), new LogAppender(path, { maxHeld: LIMIT }), o.clock, o.logger, o.added);
  }

  /** The newest entries, oldest first. */
  newest(): ActivityEntry[] {
    return [...this.entries];
  }

  add(kind: ActivityEntry['kind'], message: string): void {
    const entry: ActivityEntry = { at: this.clock.now(), kind, message };
    this.entries.push(entry);
    if (this.entries.length > LIMIT) this.entries.shift();
    this.writes.run(() => this.write(entry)).catch((error: unknown) => this.logger.error(`activity log: ${errorText(error)}`));
    this.added(entry);
  }

  /** Waits for the writes under way, then tries once more to write what the disk refused. */
  async close(): Promise<void> {
    await this.writes.idle();
    await this.file.append();
  }

  private async write(entry: ActivityEntry): Promise<void> {
    const refused = await this.file.append(encodeRecord(entry));
    if ((refused !== null) === this.heldTold) return; // as it was when last said
    this.heldTold = refused !== null;
    if (refused) {
      const message = `The activity log cannot be saved (${refused.message}): new entries are kept in memory and saved once they can be. ${refusalAdvice(refused)}`;
      this.logger.error(message);
      return this.add('notice', message);
    }
    const dropped = this.file.dropped() - this.droppedTold;
    this.droppedTold += dropped;
    this.add(
      'notice',
      `There is room on the disk again: the activity log is saved again${dropped ? `, except the ${dropped} oldest entries from while it was full` : ''}.`,
    );
  }
}
