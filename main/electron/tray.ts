/** The tray: a menu and an icon built from the agent's state by pure functions, so both are unit-tested. */
import type { MenuItemConstructorOptions } from 'electron';
import { formatAmount } from '../common/money.js';
import type { EarningsBucket } from '../common/network.js';
import type { AgentState } from '../common/state.js';

export interface TrayView {
  state: AgentState;
  pausedUntil: number | null;
  /** Today's ledger totals, or null while not connected to a network. */
  today: EarningsBucket | null;
  /** A downloaded update waiting for a restart. */
  updateReady: string | null;
  now: number;
}

export interface TrayActions {
  setShare(on: boolean): void;
  /** null resumes. */
  pauseUntil(until: number | null): void;
  show(): void;
  restartToUpdate(): void;
  quit(): void;
}

const HOUR_MS = 3_600_000;

/** The next local midnight after `now`, for "pause until tomorrow". */
export function tomorrow(now: number): number {
  const next = new Date(now);
  next.setHours(24, 0, 0, 0);
  return next.getTime();
}

export const trayTooltip = (state: AgentState): string => `Synor Contributor: ${state.status.reason}`;

function earnedLine(view: TrayView): string {
  if (!view.today) return 'Earned today: not connected yet';
  const test = view.state.work.network?.devnet ? ' test' : '';
  const shown = (wei: string): string => formatAmount(BigInt(wei));
  const pending = view.today.pendingWei === '0' ? '' : ` (+${shown(view.today.pendingWei)} pending)`;
  return `Earned today: ${shown(view.today.confirmedWei)}${test} SYNOR${pending}`;
}

const clock = (ms: number): string => new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

export function trayMenu(view: TrayView, actions: TrayActions): MenuItemConstructorOptions[] {
  const { state, now } = view;
  const { pausedUntil } = view;
  const paused = pausedUntil !== null && pausedUntil > now;
  const pauses: MenuItemConstructorOptions[] = paused
    ? [{ label: `Resume now (paused until ${clock(pausedUntil)})`, click: () => actions.pauseUntil(null) }]
    : [
        { label: 'Pause for 1 hour', enabled: state.sharing, click: () => actions.pauseUntil(now + HOUR_MS) },
        { label: 'Pause until tomorrow', enabled: state.sharing, click: () => actions.pauseUntil(tomorrow(now)) },
      ];
  const update: MenuItemConstructorOptions[] = view.updateReady
    ? [{ label: `Restart to update to ${view.updateReady}`, click: () => actions.restartToUpdate() }]
    : [];
  return [
    { label: state.status.reason, enabled: false },
    { label: earnedLine(view), enabled: false },
    { type: 'separator' },
    { label: 'Share resources', type: 'checkbox', checked: state.sharing, click: (item) => actions.setShare(item.checked) },
    ...pauses,
    { type: 'separator' },
    { label: 'Open Synor Contributor', click: () => actions.show() },
    ...update,
    { label: 'Quit', click: () => actions.quit() },
  ];
}

/** Only Windows reports a left click on the icon; macOS opens the menu on any click, Linux indicators show only the menu. */
export const clickOpensWindow = (platform: NodeJS.Platform): boolean => platform === 'win32';

type Code = AgentState['status']['code'];
type Shape = (dx: number, dy: number, r: number) => number;

const clamp = (v: number): number => Math.max(0, Math.min(1, v));
const disc =
  (radius: number): Shape =>
  (dx, dy, r) =>
    clamp(radius * r + 0.5 - Math.hypot(dx, dy));
const ring: Shape = (dx, dy, r) => clamp(r * 0.14 + 0.5 - Math.abs(Math.hypot(dx, dy) - r * 0.82));
const bar =
  (from: number, to: number): Shape =>
  (dx, dy, r) =>
    clamp(Math.min(dx - from * r, to * r - dx, dy + 0.7 * r, 0.7 * r - dy) + 0.5);

/**
 * A shape per state, so the state reads without colour (macOS template images are one colour): off is a ring,
 * waiting a ring with a dot, paused two bars, working a filled disc.
 */
const SHAPES: Record<Code, Shape[]> = {
  off: [ring],
  waiting: [ring, disc(0.3)],
  paused: [bar(-0.6, -0.15), bar(0.15, 0.6)],
  working: [disc(1)],
};

/** Readable on the panel: the light variant goes on dark panels. */
const COLORS: Record<'light' | 'dark', Record<Code, [number, number, number]>> = {
  light: { off: [220, 220, 220], waiting: [250, 200, 80], paused: [250, 200, 80], working: [90, 220, 140] },
  dark: { off: [80, 80, 80], waiting: [180, 120, 0], paused: [180, 120, 0], working: [20, 140, 70] },
};

export type IconStyle = 'template' | 'light' | 'dark';

/** BGRA pixels (nativeImage.createFromBitmap). 'template' is black with alpha, for macOS to tint. */
export function trayIconBitmap(code: Code, size: number, style: IconStyle): Buffer {
  const [r, g, b] = style === 'template' ? [0, 0, 0] : COLORS[style][code];
  const pixels = Buffer.alloc(size * size * 4);
  const c = (size - 1) / 2;
  const radius = size / 2 - 1;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const alpha = Math.max(...SHAPES[code].map((shape) => shape(x - c, y - c, radius)));
      pixels.set([b, g, r, Math.round(alpha * 255)], (y * size + x) * 4);
    }
  }
  return pixels;
}

/** macOS: a template image the menu bar tints; elsewhere the variant that stands out on the panel's colours. */
export const iconStyle = (platform: NodeJS.Platform, darkPanel: boolean): IconStyle =>
  platform === 'darwin' ? 'template' : darkPanel ? 'light' : 'dark';
