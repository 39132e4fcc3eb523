import type { z } from 'zod';
import { errorText } from '../../common/result.js';
import { shortAddress } from '../../common/wallet.js';
import { ROUTES, SubmitBatchReplySchema, SubmitReplySchema, type SubmitBatchReply } from '../../common/protocol.js';
import { withOwnBytes, type TaskResult } from '../../common/task.js';
import { coalesced } from '../../common/serial.js';
import type { Emitter } from '../events.js';
import type { DiskRefusal } from '../fs/disk-refusal.js';
import type { Ledger } from '../ledger/ledger.js';
import type { Clock, Logger } from '../ports.js';
import type { ClientFile } from './client-file.js';
import type { NetworkEvent } from './client-types.js';
import { Frame, NetworkError } from './http.js';
import { KEEP_AWAKE, type Leasing } from './leasing.js';
import type { CoordinatorLink } from './link.js';
import { damagedNotice, type Outbox, type OutboxEntry, type Queued } from './outbox.js';

export interface SubmittingOptions {
  link: CoordinatorLink;
  leasing: Leasing;
  outbox: Outbox;
  /** Results for this coordinator already in the outbox at start. */
  queued: number;
  /** Its device id: the one results are kept under (the owner's, ClientFile.useOwner); and whose the others are. */
  file: Pick<ClientFile, 'deviceId' | 'ownerOf'>;
  ledger: Ledger;
  events: Emitter<NetworkEvent>;
  clock: Pick<Clock, 'now'>;
  logger: Logger;
  changed: () => void;
}

type SubmitStatus = z.infer<typeof SubmitReplySchema>['status'];
/** A queued result on its way, with its bytes. */
interface Outgoing {
  entry: Queued;
  result: TaskResult;
}

/**
 * Results of at least this many output bytes go alone: beside their bytes a request's fixed cost is small, and a batch
 * would copy them out of the outbox's one read buffer.
 */
const ALONE_BYTES = 1024 * 1024;
/** Room kept in a batch's body for each result's header (ids, shapes, accounting) beside its output bytes. */
const HEADER_BYTES = 4096;
const outputBytes = (result: TaskResult): number => Object.values(result.outputs).reduce((n, t) => n + t.data.byteLength, 0);

/** "1 finished result", "3 finished results", or null for none. */
const count = (n: number, what: string): string | null => (n === 0 ? null : `${n} ${what}${n === 1 ? '' : 's'}`);

/**
 * Finished results: on disk (fsynced) before anything else, then submitted until the coordinator acknowledges them;
 * each acknowledgement goes into the ledger as pending earnings. A refusal that retrying cannot fix ends the retries
 * and gives the task back, with a notice.
 */
export class Submitting {
  /** Results for this coordinator waiting to be sent. */
  queued: number;
  /** Said once when the disk first refuses finished work, and once when all of it is saved again. */
  private toldHeld = false;
  /** Whether the user was told of results kept for another owner's device id. */
  private toldOthers = false;
  /** Results kept so far: those kept while a flush read the outbox may be missing from what it read. */
  private kept = 0;
  /** Results the coordinator answered too late to this flush: told once at its end, not once each. */
  private late = 0;
  /** Submits queued results now; resolves to how many are still queued. */
  readonly flush = coalesced(() => this.submitAll().catch((error: unknown) => this.o.link.failed(error)));

  constructor(private readonly o: SubmittingOptions) {
    this.queued = o.queued;
  }

  /** Why finished work is kept in memory only (the disk refused results or earnings records), or null when all is saved. */
  heldBecause(): DiskRefusal | null {
    return this.o.outbox.heldBecause() ?? this.o.ledger.heldBecause();
  }

  /** What is kept in memory, in words ("3 finished results and 1 earnings record"). */
  held(): { words: string; count: number } {
    const [results, records] = [this.o.outbox.heldCount(), this.o.ledger.heldCount()];
    return {
      words: [count(results, 'finished result'), count(records, 'earnings record')].filter((k) => k !== null).join(' and '),
      count: results + records,
    };
  }

  /** Tells the user once when the disk starts refusing finished work, and once when it takes it all again. */
  tellHeld(): void {
    const why = this.heldBecause();
    if ((why !== null) === this.toldHeld) return;
    this.toldHeld = why !== null;
    const message =
      why !== null
        ? `Finished work cannot be saved (${why.message}): results and earnings records are kept in memory, results are still sent, and new work is paused until they can be saved.`
        : 'Finished work can be saved again: every finished result and earnings record is saved, and new work goes on.';
    if (why !== null) this.o.logger.error(message);
    this.o.events.emit({ type: 'problem', message });
    this.o.changed();
  }

  /** Keeps a finished result (false: it could not be kept, and the task was given back with the reason). */
  async keep(leaseId: string, result: TaskResult): Promise<boolean> {
    const { link, leasing, events } = this.o;
    const lease = leasing.stop(leaseId);
    const entry: OutboxEntry = {
      version: 2,
      url: link.url,
      deviceId: this.o.file.deviceId,
      leaseId,
      result,
      estimateWei: lease?.task.rewardEstimateWei ?? '0',
      finishedAt: this.o.clock.now(),
    };
    const put = await this.o.outbox.put(entry);
    if (!put.ok) {
      // Never dropped in silence: the task goes back with the reason, and the user sees it.
      const message = `The result of task ${result.taskId} could not be kept: ${put.error.message}. The task was given back.`;
      this.o.logger.error(message);
      events.emit({ type: 'problem', message });
      await leasing.release(leaseId, 'runtime-error', `result not kept: ${put.error.message}`);
      return false;
    }
    this.tellHeld();
    this.kept++;
    this.queued++;
    events.emit({ type: 'queued', taskId: result.taskId });
    this.o.changed();
    return true;
  }

  private async submitAll(): Promise<number> {
    const { link, outbox, ledger } = this.o;
    await outbox.writeHeld();
    await ledger.writeHeld();
    this.tellHeld();
    const keptBefore = this.kept;
    const { entries, problems } = await outbox.list();
    problems.forEach((problem) => this.damaged(problem));
    const here = entries.filter((e) => e.url === link.url);
    // Done under another owner's device id (the wallet before): sent only with that id's token, when it is in use.
    const mine = here.filter((e) => e.deviceId === this.o.file.deviceId);
    this.keptForOthers(here.filter((e) => e.deviceId !== this.o.file.deviceId));
    // A result kept while the outbox was read may be missing from it: counted all the same, or leasing would go one
    // past the backlog (seen in the soak's outage case). One read as well is counted twice until the next flush.
    this.queued = mine.length + (this.kept - keptBefore);
    // Its info says whether it takes batches: known before the first result goes.
    if (mine.length > 0 && !link.info) await link.connect();
    const batch = link.info?.submitBatch ?? { maxResults: 1, maxBytes: Infinity };
    let refused: NetworkError | null = null;
    let pending: Outgoing[] = [];
    let pendingBytes = 0;
    const sendPending = async (): Promise<void> => {
      const sent = pending;
      [pending, pendingBytes] = [[], 0];
      if (sent.length > 0) refused = (await this.sendBatch(sent)) ?? refused;
    };
    for (const entry of mine) {
      const read = await outbox.read(entry);
      if (!read.ok) {
        this.queued--;
        if (read.error.code === 'damaged') this.damaged(read.error.message);
        continue;
      }
      const { result } = read.value;
      const bytes = outputBytes(result);
      if (batch.maxResults < 2 || bytes >= ALONE_BYTES) {
        // Sent at once from the outbox's read buffer (valid until its next read), after the results read before it.
        await sendPending();
        refused = (await this.sendOne({ entry, result })) ?? refused;
        continue;
      }
      if (pendingBytes + bytes + HEADER_BYTES * (pending.length + 1) > batch.maxBytes) await sendPending();
      // Its own copy of the bytes: the outbox's next read reuses the buffer they are in (cheap: a small result).
      pending.push({ entry, result: withOwnBytes(result) });
      pendingBytes += bytes;
      if (pending.length >= batch.maxResults) await sendPending();
    }
    await sendPending();
    this.tellLate();
    if (refused) throw refused;
    return this.queued;
  }

  /**
   * Several results in one request (docs/protocol.md, "Batched submit"), each answer handled as a single submit's.
   * Returns the refusal of this device as a whole (tried again next round); throws what retrying may fix.
   */
  private async sendBatch(sent: Outgoing[]): Promise<NetworkError | null> {
    const { link } = this.o;
    const [first] = sent;
    if (sent.length === 1 && first) return this.sendOne(first);
    const body = new Frame({ submits: sent.map(({ entry, result }) => ({ leaseId: entry.leaseId, result })) });
    let reply: SubmitBatchReply;
    try {
      reply = await link.authed(() => link.call(ROUTES.submitBatch, SubmitBatchReplySchema, 'POST', body));
    } catch (error) {
      if (!(error instanceof NetworkError) || error.retryable || error.code !== 'REJECTED') return this.refusedWhole(error);
      // The batch refused as a whole (too large, a coordinator that changed its mind): each result goes on its own,
      // so none is refused for another's sake.
      let refused: NetworkError | null = null;
      for (const one of sent) refused = (await this.sendOne(one)) ?? refused;
      return refused;
    }
    if (reply.results.length !== sent.length)
      throw new NetworkError('BAD_REPLY', `The coordinator answered ${reply.results.length} of ${sent.length} results sent together.`);
    for (const [i, one] of sent.entries()) {
      const outcome = reply.results[i];
      if (outcome?.status === 'refused') await this.abandon(one.entry, `The coordinator refused: ${outcome.error.message}`);
      else if (outcome) await this.answered(one.entry, outcome.status);
    }
    return null;
  }

  /** One result in one request: the only way to a coordinator that takes no batches. Returns or throws as `sendBatch`. */
  private async sendOne({ entry, result }: Outgoing): Promise<NetworkError | null> {
    const { link } = this.o;
    const body = new Frame({ leaseId: entry.leaseId, result });
    let reply: z.infer<typeof SubmitReplySchema>;
    try {
      reply = await link.authed(() => link.call(ROUTES.submit, SubmitReplySchema, 'POST', body));
    } catch (error) {
      // The coordinator's own 4xx answer to this result: sending the same bytes again cannot change it.
      if (error instanceof NetworkError && error.code === 'REJECTED') {
        await this.abandon(entry, error.message);
        return null;
      }
      return this.refusedWhole(error);
    }
    await this.answered(entry, reply.status);
    return null;
  }

  /** Throws what retrying may fix; anything else (this device or coordinator refused as a whole) must not hold up the others. */
  private refusedWhole(error: unknown): NetworkError {
    if (!(error instanceof NetworkError) || error.retryable) throw error;
    return error;
  }

  /** The coordinator's answer to one result: pending earnings unless it came too late, and out of the outbox. */
  private async answered(entry: Queued, status: SubmitStatus): Promise<void> {
    const { link, leasing, ledger } = this.o;
    if (status === 'too-late') leasing.lost();
    else leasing.taken();
    if (status !== 'too-late') {
      await ledger.submitted({
        at: this.o.clock.now(),
        source: {
          url: link.url,
          devnet: link.devnet,
          coordinator: link.pinned?.coordinator ?? '0x0000000000000000000000000000000000000000',
          chainId: link.pinned?.chainId ?? 0,
        },
        taskId: entry.taskId,
        deviceId: entry.deviceId,
        estimateWei: BigInt(entry.estimateWei),
      });
      // Held in memory when the disk is full: the result is in, and its receipt comes by the cursor whatever happens.
      this.tellHeld();
    } else {
      this.o.logger.warn(`result for task ${entry.taskId} came too late; the coordinator no longer wants it`);
      this.late++;
    }
    await this.o.outbox.remove(entry.taskId);
    this.queued--;
    this.o.events.emit({ type: 'submitted', taskId: entry.taskId, status });
    this.o.changed();
  }

  /** Results sent after their lease ran out are not paid: the user sees it, with why and what helps. */
  private tellLate(): void {
    if (this.late === 0) return;
    const n = this.late;
    this.late = 0;
    const message = `${count(n, 'finished result')} reached the network after ${n === 1 ? 'its' : 'their'} time ran out, so ${n === 1 ? 'it is' : 'they are'} not paid. ${KEEP_AWAKE}`;
    this.o.events.emit({ type: 'problem', message });
  }

  /** Results of another owner's device id, kept in the outbox for it: the user is told once, in words. */
  private keptForOthers(others: readonly Queued[]): void {
    if (this.toldOthers || others.length === 0) return;
    this.toldOthers = true;
    const owners = [...new Set(others.map((e) => this.o.file.ownerOf(e.deviceId)))];
    const whose = owners.every((o) => o !== undefined)
      ? `your wallet before (${owners.map(shortAddress).join(', ')})`
      : 'a wallet this computer earned for before';
    const message = `${count(others.length, 'finished result')} done for ${whose} could not be sent before the wallet changed. ${others.length === 1 ? 'It is' : 'They are'} kept, and sent when that wallet is used on this computer again.`;
    this.o.logger.warn(message);
    this.o.events.emit({ type: 'problem', message });
  }

  /** A queued result whose file no longer reads: set aside by the outbox; the user is told, in words. */
  private damaged(problem: string): void {
    this.o.logger.error(`network: ${problem}`);
    this.o.events.emit({ type: 'problem', message: damagedNotice(1) });
  }

  /** The result will never be taken: it leaves the outbox, the lease goes back, and the user is told why. */
  private async abandon(entry: Queued, why: string): Promise<void> {
    const { leasing } = this.o;
    await this.o.outbox.remove(entry.taskId);
    this.queued--;
    leasing.lost();
    const message = `The network refused the result of task ${entry.taskId} (${why}); it was given back and will not be sent again.`;
    this.o.logger.warn(message);
    this.o.events.emit({ type: 'problem', message });
    this.o.changed();
    leasing.stop(entry.leaseId);
    // Best effort, and not the status line's business: the lease ends by itself if this does not get through.
    await leasing
      .giveBack(entry.leaseId, 'runtime-error', `result refused: ${why}`)
      .catch((error: unknown) => this.o.logger.warn(`could not give back the lease of task ${entry.taskId}: ${errorText(error)}`));
  }
}
