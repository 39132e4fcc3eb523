import type { Task } from '../../common/task.js';
import type { PreparedTask } from '../runtime/runtime.js';

export interface Queued {
  task: Task;
  /** Arrival order, kept across requeues so a retried task does not lose its place. */
  seq: number;
  attempts: number;
  prepared: PreparedTask | undefined;
  /** Ran in a batch that failed: runs alone from now on, to find out whose input was bad. */
  alone: boolean;
  /** Ends its preparation's downloads once it leaves (set by admission's prepare, aborted by state.finish). */
  preparing?: AbortController;
}

/** Higher priority first, then earlier deadline, then earlier arrival. */
const before = (a: Queued, b: Queued): number => b.task.priority - a.task.priority || a.task.deadline - b.task.deadline || a.seq - b.seq;

/** Waiting tasks, kept in run order (queues here are tens of tasks: a sorted array is plenty). */
export class TaskQueue {
  private items: Queued[] = [];
  private seq = 0;

  get size(): number {
    return this.items.length;
  }

  add(task: Task): Queued {
    const e: Queued = { task, seq: ++this.seq, attempts: 0, prepared: undefined, alone: false };
    this.requeue(e);
    return e;
  }

  requeue(e: Queued): void {
    const at = this.items.findIndex((x) => before(e, x) < 0);
    this.items.splice(at < 0 ? this.items.length : at, 0, e);
  }

  remove(e: Queued): void {
    this.items = this.items.filter((x) => x !== e);
  }

  best(pred: (e: Queued) => boolean): Queued | undefined {
    return this.items.find(pred);
  }

  matching(pred: (e: Queued) => boolean): Queued[] {
    return this.items.filter(pred);
  }

  all(): Queued[] {
    return [...this.items];
  }
}
