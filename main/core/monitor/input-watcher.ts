/**
 * The user's input through the native addon (native/src/input.cc): on X11, XInput2 raw events pushed by the server
 * to a native thread, so running work stops within milliseconds of a key press instead of at the next tick; the
 * screen saver extension's idle counter for the tick. Elsewhere (Wayland, Windows, macOS, no addon) there is no
 * watcher yet and the tick's idle sample stands alone (README: which API each would use).
 */
import { fieldOf } from '../../common/keys.js';
import { fail, ok, type Result } from '../../common/result.js';
import { loadAddon } from '../native/addon-load.js';
import type { InputWatcher } from '../ports.js';

/** What native/src/input.cc adds to the addon: a number on success, a string saying why not. */
interface InputAddon {
  inputIdleMs(display: string): number | string;
  watchInput(display: string, onInput: (seen: true | null) => void): (() => void) | string;
}

/** The addon and the X display it reads. */
export interface X11Input {
  addon: InputAddon;
  display: string;
}

const hasInput = (addon: unknown): addon is InputAddon =>
  typeof fieldOf(addon, 'watchInput') === 'function' && typeof fieldOf(addon, 'inputIdleMs') === 'function';

/** The X11 counter, or why not: this process has no addon, no X display or no screen saver extension. */
export function x11Input(env: NodeJS.ProcessEnv): Result<X11Input, 'NO_X11_INPUT'> {
  const display = env['DISPLAY'];
  if (!display) return fail('NO_X11_INPUT', 'no X display');
  const loaded = loadAddon();
  if (!loaded.ok) return fail('NO_X11_INPUT', loaded.error.message);
  const { addon } = loaded.value;
  // A build from before input.cc lacks the functions.
  if (!hasInput(addon)) return fail('NO_X11_INPUT', 'the native addon predates the input watcher');
  const probe = addon.inputIdleMs(display);
  return typeof probe === 'string' ? fail('NO_X11_INPUT', probe) : ok({ addon, display });
}

/** Seconds since the last input on X11, straight from the server (no xprintidle process per tick). */
export function x11IdleSeconds({ addon, display }: X11Input): number | null {
  const ms = addon.inputIdleMs(display);
  return typeof ms === 'number' ? ms / 1000 : null;
}

export const noInputWatcher: InputWatcher = { name: 'none (the policy tick sees input)', watch: () => null };

export function x11InputWatcher({ addon, display }: X11Input): InputWatcher {
  return {
    name: 'X11 XInput2 raw events',
    watch(onInput) {
      // null: the X server went away; the tick's idle sample still sees the user, only later.
      const stop = addon.watchInput(display, (seen) => seen && onInput());
      return typeof stop === 'string' ? null : stop;
    },
  };
}
