import type { MenuItemConstructorOptions } from 'electron';
import type { AgentState } from '../common/state.js';

export interface TrayActions {
  setShare(on: boolean): void;
  show(): void;
  quit(): void;
}

export const trayTooltip = (state: AgentState): string => `Synor Contributor: ${state.status.reason}`;

export function trayMenu(state: AgentState, actions: TrayActions): MenuItemConstructorOptions[] {
  return [
    { label: 'Share resources', type: 'checkbox', checked: state.sharing, click: (item) => actions.setShare(item.checked) },
    { label: state.status.reason, enabled: false },
    { type: 'separator' },
    { label: 'Open Synor Contributor', click: () => actions.show() },
    { label: 'Quit', click: () => actions.quit() },
  ];
}

const ICON_COLORS: Record<AgentState['status']['code'], [number, number, number]> = {
  off: [128, 128, 128],
  waiting: [230, 170, 40],
  paused: [230, 170, 40],
  working: [40, 190, 110],
};

/** A filled disc in the status colour, as BGRA pixels: no image files to ship, and the icon shows the state. */
export function trayIconBitmap(code: AgentState['status']['code'], size: number): Buffer {
  const [r, g, b] = ICON_COLORS[code];
  const pixels = Buffer.alloc(size * size * 4);
  const c = (size - 1) / 2;
  const radius = size / 2 - 1;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      // Coverage of the pixel by the disc, for a soft edge.
      const alpha = Math.max(0, Math.min(1, radius + 0.5 - Math.hypot(x - c, y - c)));
      pixels.set([b, g, r, Math.round(alpha * 255)], (y * size + x) * 4);
    }
  }
  return pixels;
}
