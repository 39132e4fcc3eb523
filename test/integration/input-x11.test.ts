// The real X11 input watcher (native/src/input.cc) under Xvfb: a synthetic key press, pointer move and click from
// xdotool reach the listener (relative moves: an absolute `mousemove` warps the pointer, which no hand does and
// XInput2 raw events do not report); the idle counter the policy tick reads restarts with them. Skipped, with the reason, where
// Xvfb, xdotool or the built addon is missing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { x11IdleSeconds, x11Input, x11InputWatcher } from '../../main/core/monitor/input-watcher.js';
import { startXvfb, x11Missing } from '../helpers/xvfb.js';

const missing = x11Missing();
if (missing) console.log(`# X11 input test skipped: ${missing}`);

test(
  'X11: xdotool key press, pointer move and click are seen by the native watcher',
  { skip: missing ?? false, timeout: 60_000 },
  async (t) => {
    const x = await startXvfb();
    let stop: (() => void) | null = null;
    // The watcher goes before its server does.
    t.after(async () => {
      stop?.();
      await x.stop();
    });
    const input = x11Input({ DISPLAY: x.display });
    if (!input.ok) {
      // The addon is optional (the app falls back to the tick): say why instead of failing a machine without a build.
      t.skip(`native watcher unavailable: ${input.error.message}`);
      return;
    }
    const watcher = x11InputWatcher(input.value);
    let seen = 0;
    let next: (() => void) | undefined;
    stop = watcher.watch(() => {
      seen++;
      next?.();
    });
    assert.ok(stop, 'the watcher started');
    const event = () => new Promise<void>((resolve) => (next = resolve));

    const first = event(); // before xdotool runs: its input may arrive before xdotool exits
    await x.xdotool('mousemove_relative', '1', '1');
    await first; // the first input ever, so the counter below has a point to restart from
    // No input for a while: the counter grows, the watcher stays quiet.
    const quietFrom = seen;
    const idleBefore = x11IdleSeconds(input.value);
    assert.ok(idleBefore !== null);
    for (const args of [
      ['key', 'a'],
      ['mousemove_relative', '--', '-20', '15'],
      ['click', '1'],
    ]) {
      const arrived = event();
      const sent = performance.now();
      await x.xdotool(...args);
      await arrived;
      console.log(`# xdotool ${args.join(' ')}: seen ${(performance.now() - sent).toFixed(1)} ms after xdotool started`);
      assert.ok((x11IdleSeconds(input.value) ?? Infinity) < 0.5, 'the idle counter restarted');
    }
    assert.ok(seen > quietFrom);
  },
);
