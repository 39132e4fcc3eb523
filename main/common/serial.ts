/**
 * Runs tasks one at a time, in the order they were given. A task that fails (throws or rejects) fails only its own
 * caller's promise: the queue goes on with the next task. A hand-rolled `tail = tail.then(task)` without a catch
 * instead passed one failure on to every later task (settings stopped saving after one error).
 */
export class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve();

  /** Runs `task` once every task given before it has ended; settles as `task` does. */
  run<T>(task: () => T | PromiseLike<T>): Promise<T> {
    const turn = this.#tail.then(task);
    this.#tail = turn.then(ignore, ignore);
    return turn;
  }

  /** Settles once no task is waiting or running, including tasks given while it waits; never rejects. */
  async idle(): Promise<void> {
    for (let tail = this.#tail; ; tail = this.#tail) {
      await tail;
      if (tail === this.#tail) return;
    }
  }
}

const ignore = (): void => undefined;

export interface Coalesced<T> {
  (): Promise<T>;
  /** Settles once no run is in progress or waiting. */
  idle(): Promise<void>;
}

/**
 * Runs `work` one at a time. A call while a run is in progress gets the next run, which starts as that one ends;
 * calls meanwhile share it. So every caller gets a run that began after its call and sees what came before it:
 * joining the run in progress instead let a shutdown's final flush miss the result written just before it. At most one
 * run is ever under way: the pages read their figures through it, as they once sent readings faster than they came
 * back until the browser refused to open more.
 */
export function coalesced<T>(work: () => Promise<T>): Coalesced<T> {
  let running: Promise<T> | null = null;
  let next: { promise: Promise<T>; start(): void } | null = null;
  const start = (): Promise<T> => {
    running = work().finally(() => {
      running = null;
      const queued = next;
      next = null;
      queued?.start();
    });
    return running;
  };
  const call = (): Promise<T> => {
    if (!running) return start();
    if (!next) {
      let begin!: (run: Promise<T>) => void;
      const promise = new Promise<T>((resolve) => (begin = resolve));
      next = { promise, start: () => begin(start()) };
    }
    return next.promise;
  };
  return Object.assign(call, {
    async idle(): Promise<void> {
      while (running) await running.catch(() => undefined); // a failed run is its caller's to handle
    },
  });
}
