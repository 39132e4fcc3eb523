// The X11 watcher's error handling stays inside its own connections (native/src/input.cc). Xlib's default I/O error
// handler exit()s the process when any server goes away, and only a process-wide handler can stop that: the addon's
// acts for its own connections only (every other goes to the handler it found, Chromium's in the app), whose exit
// handler (libX11 >= 1.7) then marks them lost. So when Xvfb dies under a running watcher and idle counter, both
// say so and this process carries on (without that handler it ended with status 1). Skipped, with the reason, where
// Xvfb or the built addon is missing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { x11IdleSeconds, x11Input } from '../../main/core/monitor/input-watcher.js';
import { startXvfb, x11Missing } from '../helpers/xvfb.js';

const missing = x11Missing();
if (missing) console.log(`# X11 lost-server test skipped: ${missing}`);

test(
  'X11: the server going away ends the watcher and the idle counter, not the process',
  { skip: missing ?? false, timeout: 60_000 },
  async (t) => {
    const x = await startXvfb();
    t.after(() => x.stop());
    const input = x11Input({ DISPLAY: x.display });
    if (!input.ok) {
      t.skip(`native watcher unavailable: ${input.error.message}`);
      return;
    }
    const { addon, display } = input.value;
    assert.equal(typeof x11IdleSeconds(input.value), 'number', 'the idle counter reads before the server goes');
    let ended = () => {};
    const lost = new Promise<void>((resolve) => (ended = resolve));
    const stop = addon.watchInput(display, (seen) => seen === null && ended());
    if (typeof stop === 'string') assert.fail(`the watcher did not start: ${stop}`);

    await x.stop();
    await lost; // the watcher's thread saw its connection die and said so once
    assert.equal(x11IdleSeconds(input.value), null, 'the idle counter answers "lost", it does not exit the process');
    stop();
    // Still here: neither connection's loss ran Xlib's exit().
    assert.equal(process.exitCode ?? 0, 0);
  },
);
