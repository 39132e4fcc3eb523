// `npm start` where Electron cannot run (this machine: no binary, no download, no display) falls back to headless mode.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tempDir } from '../helpers/fakes.js';
import { rpc, startHeadless } from '../helpers/headless.js';

test('without a display, start says why in one line and serves the UI headless', { timeout: 300_000 }, async () => {
  const started = Date.now();
  const app = await startHeadless(await tempDir(), ['scripts/start.mjs', '--port', '0'], { DISPLAY: '', WAYLAND_DISPLAY: '' });
  try {
    const seconds = (Date.now() - started) / 1000;
    // The first line of its own: a build of what changed since the last one may come before it.
    const [first] = app
      .output()
      .split('\n')
      .filter((line) => line.startsWith('Electron'));
    assert.equal(
      first,
      'Electron app unavailable: no graphical display (DISPLAY and WAYLAND_DISPLAY are unset). Starting headless mode instead.',
    );
    // How soon is the cold-start bench's to measure (goal: the link within 3 s); a loaded machine takes longer.
    console.log(`# fell back to headless mode and printed the link after ${seconds.toFixed(1)} s`);
    const state = (await rpc(app, 'getState')) as { value: { mode: string } };
    assert.equal(state.value.mode, 'headless');
  } finally {
    await app.stop();
  }
});
