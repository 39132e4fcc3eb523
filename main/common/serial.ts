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
