/**
 * The one status model: header, dashboard cards and buttons all read this, so the connection, a locked wallet
 * and an unreachable network are said the same way everywhere, each with the one action that fixes it.
 */
import type { ReasonCode } from '../../../main/common/policy.js';
import type { SettingsPatch } from '../../../main/common/settings.js';
import type { AgentState } from '../../../main/common/state.js';
import type { Connection } from './parse.js';
import { t } from '../i18n/en.js';

/** A fix is a settings change made by one click, or a link to the page (and field) where the user decides. */
export type Fix = { label: string; patch: SettingsPatch } | { label: string; href: string };

export interface Overall {
  code: 'off' | 'waiting' | 'working' | 'paused' | 'offline';
  reason: string;
  fix: Fix | null;
}

const SETTINGS_FOR: Partial<Record<ReasonCode, string>> = {
  WAITING_FOR_IDLE: 'idle',
  OUTSIDE_SCHEDULE: 'schedule',
  ON_BATTERY: 'power',
  BATTERY_LOW: 'power',
  NOT_CHARGING: 'power',
  CPU_HOT: 'power',
  GPU_HOT: 'power',
  APP_RUNNING: 'apps',
  FULLSCREEN: 'apps',
  SHARE_ZERO: 'limits',
};

/**
 * The fix for a policy reason: a setting this system cannot honour is switched off in one click (the README's
 * promise), such as the Light preset's pause on a machine whose own programs keep the processor busy.
 */
export function fixFor(code: ReasonCode): Fix | null {
  if (code === 'IDLE_UNKNOWN') return { label: t.fixes.idleOff, patch: { idleOnly: { enabled: false, minutes: 10 } } };
  if (code === 'USER_BUSY') return { label: t.settings.busyOff, patch: { pauseWhenUserCpuAbovePercent: null } };
  if (code === 'PAUSED_UNTIL') return { label: t.dashboard.resume, patch: { pausedUntil: null } };
  // A device turned off is turned on again beside its own switch, on the Devices page.
  if (code === 'DEVICE_DISABLED') return { label: t.devices.control.fix, href: '#/devices' };
  const section = SETTINGS_FOR[code];
  return section ? { label: t.fixes.settings, href: `#/settings/${section}` } : null;
}

export function overall(connection: Connection, state: AgentState | null): Overall {
  if (connection !== 'connected' || !state)
    return { code: 'offline', reason: t.connection[connection === 'connected' ? 'connecting' : connection], fix: null };
  const { work, status, decision } = state;
  if (!state.sharing) return { code: 'off', reason: status.reason, fix: null };
  if (work.blocker) {
    const locked = state.wallet.wallet.state === 'locked';
    return { code: 'waiting', reason: work.blocker, fix: { label: locked ? t.fixes.unlock : t.fixes.wallet, href: '#/wallet' } };
  }
  const network = work.network;
  if (network && (network.code === 'offline' || network.code === 'error')) {
    const code = network.code === 'offline' ? 'offline' : 'waiting';
    return { code, reason: network.message, fix: { label: t.fixes.network, href: '#/settings/network' } };
  }
  const blocking = decision?.devices.flatMap((device) => device.reasons).find((reason) => reason.blocking);
  const allowed = decision?.devices.some((device) => device.run) ?? false;
  // Tasks last a second or two: a task in hand on a device that may run means the machine is working.
  const inHand = work.tasks.length;
  if (allowed && (status.code === 'working' || inHand > 0)) return { code: 'working', reason: t.status.working(inHand), fix: null };
  if (allowed) return { code: 'waiting', reason: status.reason, fix: null };
  return { code: status.code === 'working' ? 'waiting' : status.code, reason: status.reason, fix: blocking ? fixFor(blocking.code) : null };
}
