// A download's stall and deadline timers (download.ts) count only time their process ran: a job host fetching an input
// is stopped (SIGSTOP) while its user needs the computer, and must not give the download up the moment it continues.
// The process's clock is stood in for by `now`; its timers by node's mock timers.
import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { downloadTimers } from '../../main/core/network/download.js';

const limits = { stallMs: 1_000, deadline: { baseMs: 3_000, minBytesPerSec: 1_000 } }; // 4 s for 1,000 bytes

describe('download timers', { timeout: 30_000 }, () => {
  /** Timers for 1,000 bytes on a clock the test moves; `run(ms)`: the process runs for `ms`, ticking as it goes. */
  function timers(t: TestContext): { signal: AbortSignal; alive(): void; run(ms: number): void; stopped(ms: number): void } {
    t.mock.timers.enable({ apis: ['setInterval'] });
    let clock = 0;
    const made = downloadTimers(1_000, limits, undefined, () => clock);
    t.after(() => made.end());
    return {
      ...made,
      run: (ms) => {
        for (let step = 0; step < ms; step += 100) {
          clock += 100;
          t.mock.timers.tick(100);
        }
      },
      // Stopped: the clock goes on, no timer fires; the next tick comes when the process continues.
      stopped: (ms) => void (clock += ms),
    };
  }

  test('give up after the stall time without data, saying so', { timeout: 10_000 }, (t) => {
    const d = timers(t);
    d.run(900);
    assert.equal(d.signal.aborted, false);
    d.run(100);
    assert.equal(d.signal.aborted, true);
    assert.equal(String(d.signal.reason), 'Error: no data for 1 s');
  });

  test('are kept from stalling by data, and end at the deadline however it trickles', { timeout: 10_000 }, (t) => {
    const d = timers(t);
    for (let ms = 0; ms < 3_900; ms += 300) {
      d.run(300);
      d.alive();
    }
    assert.equal(d.signal.aborted, false);
    d.run(300);
    assert.equal(String(d.signal.reason), 'Error: not done within 4 s');
  });

  test('do not count a minute the process was stopped', { timeout: 10_000 }, (t) => {
    const d = timers(t);
    d.run(500);
    d.stopped(60_000);
    d.run(100); // the first tick after: the gap counts as two ticks, 200 ms
    d.run(200);
    assert.equal(d.signal.aborted, false, String(d.signal.reason));
    d.run(100);
    assert.equal(String(d.signal.reason), 'Error: no data for 1 s');
  });
});
