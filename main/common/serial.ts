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

/**
 * For a refresh asked for far more often than it can finish (a page re-reading its figures on every receipt): `task`
 * runs at once when idle, and all the calls made while it runs are answered by one more run after it. So one run at
 * most is in flight, every call is followed by a run that started after it, and the answers arrive in order. (A page
 * once sent requests faster than they came back, until the browser refused to open more and the figures blinked
 * out.) The promise returned settles when the runs answering the call have ended. `task` should not reject
 * (the page's requests return coded failures instead); if it does, the promise rejects and the next call starts anew.
 */
export function coalesced(task: () => Promise<void>): () => Promise<void> {
  let loop: Promise<void> | null = null;
  let again = false;
  return () => {
    again = true;
    loop ??= (async () => {
      try {
        while (again) {
          again = false;
          await task();
        }
      } finally {
        loop = null;
      }
    })();
    return loop;
  };
}
