/**
 * What is worth telling the user, from one agent state to the next: pure, so the rules are table-tested. The
 * desktop app shows each as an OS notification, headless mode in its activity log. Said once per change, never
 * the same thing twice within DEDUPE_MS, and at most BURST within BURST_WINDOW_MS.
 */
import type { ReasonCode } from '../../common/policy.js';
import type { TellKind } from '../../common/settings.js';
import type { Failure } from '../../common/result.js';
import type { AgentState, Tell } from '../../common/state.js';
import { formatAmount } from '../../common/money.js';

/** A pause the user may not have caused and should know about; idle, busy and manual pauses are not news. */
const PAUSE_REASONS: Partial<Record<ReasonCode, string>> = {
  ON_BATTERY: 'on battery',
  BATTERY_LOW: 'the battery is low',
  NOT_CHARGING: 'the battery is not charging',
  BATTERY_SAVER: 'battery saver is on',
  CPU_HOT: 'the processor is hot',
  GPU_HOT: 'the graphics card is hot',
  OUTSIDE_SCHEDULE: 'it is outside your schedule',
};

export const OFFLINE_TELL_MS = 10 * 60_000;
export const DEDUPE_MS = 30 * 60_000;
export const BURST = 3;
export const BURST_WINDOW_MS = 60_000;

export interface TellMemory {
  pauseReason: Failure<ReasonCode> | null;
  walletLocked: boolean;
  claimable: bigint;
  deviceNotices: readonly string[];
  offlineSince: number | null;
  offlineTold: boolean;
  said: ReadonlyMap<string, number>;
  recent: readonly number[];
}

export const freshMemory = (): TellMemory => ({
  pauseReason: null,
  walletLocked: false,
  claimable: 0n,
  deviceNotices: [],
  offlineSince: null,
  offlineTold: false,
  said: new Map(),
  recent: [],
});

/** The first blocking reason worth telling, with its words, while sharing is on; null otherwise. */
function pauseReason(state: AgentState): Failure<ReasonCode> | null {
  if (!state.sharing || !state.decision) return null;
  for (const { code, blocking } of state.decision.devices.flatMap((d) => d.reasons)) {
    const message = PAUSE_REASONS[code];
    if (blocking && message !== undefined) return { code, message };
  }
  return null;
}

function candidates(state: AgentState, m: TellMemory, now: number): { tells: Tell[]; memory: TellMemory } {
  const tells: Tell[] = [];
  const reason = pauseReason(state);
  if (reason !== null && reason.code !== m.pauseReason?.code) {
    tells.push({
      kind: 'pause',
      key: `pause:${reason.message}`,
      title: 'Sharing paused',
      body: `Sharing paused because ${reason.message}. It resumes by itself.`,
    });
  }
  if (reason === null && m.pauseReason !== null && state.sharing) {
    tells.push({
      kind: 'pause',
      key: 'resume',
      title: 'Sharing resumed',
      body: `Sharing resumed: ${m.pauseReason.message.replace(/^it is /, '')} no longer holds it back.`,
    });
  }
  const locked = state.wallet.wallet.state === 'locked';
  if (locked && !m.walletLocked) {
    tells.push({
      kind: 'wallet',
      key: 'wallet-locked',
      title: 'Wallet locked',
      body: 'Open Synor Contributor and unlock your wallet to keep earning.',
    });
  }
  const claimable = BigInt(state.wallet.claimable);
  if (claimable > 0n && m.claimable === 0n) {
    tells.push({
      kind: 'claim',
      key: 'claim-ready',
      title: 'Earnings ready to claim',
      body: `${formatAmount(claimable)} SYNOR can be claimed to your wallet.`,
    });
  }
  for (const notice of state.work.notices.filter((n) => !m.deviceNotices.includes(n))) {
    tells.push({ kind: 'device', key: `device:${notice}`, title: 'A device stopped working', body: notice });
  }
  const offline = state.work.network?.code === 'offline';
  const offlineSince = offline ? (m.offlineSince ?? now) : null;
  const offlineTold = offlineSince !== null && (m.offlineTold || now - offlineSince >= OFFLINE_TELL_MS);
  if (offlineTold && !m.offlineTold) {
    tells.push({
      kind: 'network',
      key: 'offline',
      title: 'Network unreachable',
      body: 'The network has been unreachable for 10 minutes. Check your internet connection; finished work is kept and sent later.',
    });
  }
  const memory = {
    ...m,
    pauseReason: reason,
    walletLocked: locked,
    claimable,
    deviceNotices: state.work.notices,
    offlineSince,
    offlineTold,
  };
  return { tells, memory };
}

/** Drops what was said recently and what would exceed the burst limit; records the rest as said. */
export function limit(tells: Tell[], m: TellMemory, now: number): { tells: Tell[]; memory: TellMemory } {
  const said = new Map([...m.said].filter(([, at]) => now - at < DEDUPE_MS));
  const recent = m.recent.filter((at) => now - at < BURST_WINDOW_MS);
  const kept = tells.filter((tell) => {
    if (said.has(tell.key) || recent.length >= BURST) return false;
    said.set(tell.key, now);
    recent.push(now);
    return true;
  });
  return { tells: kept, memory: { ...m, said, recent } };
}

/** The news between the last state seen and this one, limited; `wanted` is the user's choice of kinds. */
export function tell(
  state: AgentState,
  m: TellMemory,
  now: number,
  wanted: (kind: TellKind) => boolean,
): { tells: Tell[]; memory: TellMemory } {
  const found = candidates(state, m, now);
  return limit(
    found.tells.filter((t) => wanted(t.kind)),
    found.memory,
    now,
  );
}

export const updateTell = (version: string): Tell => ({
  kind: 'update',
  key: `update:${version}`,
  title: 'Update ready',
  body: `Version ${version} is downloaded. Restart Synor Contributor to use it.`,
});
