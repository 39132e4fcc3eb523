import type { Clock, Logger } from './ports.js';

export const systemClock: Clock = {
  now: () => Date.now(),
  after: (ms, fn) => {
    const timer = setTimeout(fn, ms).unref();
    return () => clearTimeout(timer);
  },
};

/** Logs go to stderr so stdout stays free for the one line a user needs (the URL). */
export const stderrLogger: Logger = {
  info: (m) => process.stderr.write(`[agent] ${m}\n`),
  warn: (m) => process.stderr.write(`[agent] warning: ${m}\n`),
  error: (m) => process.stderr.write(`[agent] error: ${m}\n`),
};
