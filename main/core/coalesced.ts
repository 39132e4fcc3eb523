export interface Coalesced<T> {
  (): Promise<T>;
  /** Settles once no run is in progress or waiting. */
  idle(): Promise<void>;
}

/**
 * Runs `work` one at a time. A call while a run is in progress gets the next run, which starts as that one ends;
 * calls meanwhile share it. So every caller gets a run that began after its call and sees what came before it:
 * joining the run in progress instead let a shutdown's final flush miss the result written just before it.
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
